"""Table I/II rows of an ownership XML document: one generic walk of each row's subtree.

Each row element is walked once; every value element found is mapped to the :class:`Row` field of
the same meaning, with the texts of its ``<footnoteId>`` references. That one walk covers all schema
versions (elements a version lacks are simply absent) and records footnotes per field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel

from parsers._values import clean_text, parse_bool, parse_date, parse_decimal, plan_10b5_1
from parsers.errors import ImplausibleValue, MalformedXml
from parsers.models import Row, TableName

__all__ = ["element_path", "parse_rows", "trusted_constructor"]

_M = TypeVar("_M", bound=BaseModel)

# Value elements (``<x><value>..</value><footnoteId/>*</x>``) -> Row field.
_VALUE_FIELDS: dict[str, str] = {
    "securityTitle": "security_title",
    "transactionDate": "transaction_date",
    "deemedExecutionDate": "deemed_execution_date",
    "transactionTimeliness": "timeliness",
    "transactionShares": "shares",
    "transactionTotalValue": "total_value",
    "transactionPricePerShare": "price_per_share",
    "transactionAcquiredDisposedCode": "acquired_disposed",
    "sharesOwnedFollowingTransaction": "shares_owned_following",
    "valueOwnedFollowingTransaction": "value_owned_following",
    "directOrIndirectOwnership": "direct_indirect",
    "natureOfOwnership": "nature_of_ownership",
    "conversionOrExercisePrice": "conversion_or_exercise_price",
    "exerciseDate": "exercise_date",
    "expirationDate": "expiration_date",
    "underlyingSecurityTitle": "underlying_security_title",
    "underlyingSecurityShares": "underlying_shares",
    "underlyingSecurityValue": "underlying_value",
}
# Containers walked into; a footnote hung on the container itself goes to its main field.
_CONTAINERS: dict[str, str] = {
    "transactionAmounts": "shares",
    "postTransactionAmounts": "shares_owned_following",
    "ownershipNature": "direct_indirect",
    "underlyingSecurity": "underlying_security_title",
}
# transactionCoding holds plain-text children, not value elements; its footnotes explain the code.
_CODING_FIELDS: dict[str, str] = {
    "transactionFormType": "transaction_form_type",
    "transactionCode": "transaction_code",
    "equitySwapInvolved": "equity_swap",
}


def _letter(allowed: frozenset[str]) -> Callable[[str], str | None]:
    def convert(text: str) -> str | None:
        raw = text.strip().upper()
        if not raw:
            return None
        if raw not in allowed:
            raise ValueError(f"expected one of {sorted(allowed)}, got {text!r}")
        return raw

    return convert


def _plain(text: str) -> str | None:
    return text.strip() or None


# Field -> converter from text. Everything that is not listed is free text.
_CONVERT: dict[str, Callable[[str], Any]] = {
    "transaction_date": parse_date,
    "deemed_execution_date": parse_date,
    "exercise_date": parse_date,
    "expiration_date": parse_date,
    "shares": parse_decimal,
    "total_value": parse_decimal,
    "price_per_share": parse_decimal,
    "shares_owned_following": parse_decimal,
    "value_owned_following": parse_decimal,
    "conversion_or_exercise_price": parse_decimal,
    "underlying_shares": parse_decimal,
    "underlying_value": parse_decimal,
    "acquired_disposed": _letter(frozenset({"A", "D"})),
    "direct_indirect": _letter(frozenset({"D", "I"})),
    "timeliness": _letter(frozenset({"E", "L"})),
    "equity_swap": parse_bool,
    "transaction_code": _plain,
    "transaction_form_type": _plain,
}


def trusted_constructor(cls: type[_M]) -> Callable[..., _M]:
    """A ``cls.model_construct`` for values that are already of their fields' types, minus its overhead.

    Same result as ``model_construct``: ``__dict__`` holds every field in declaration order (passed
    value, else the default; mutable defaults copied per instance), ``model_fields_set`` names the
    passed fields, no extra and no private attributes. ``model_construct`` resolves every default
    through ``FieldInfo.get_default`` on each call, which costs more than building the whole row;
    here the defaults are resolved once. Only for plain models: no aliases, default factories,
    post-init hooks, private attributes or ``extra="allow"`` (checked here, once).

    Kept over ``model_construct`` because that costs about 3x more per row (timeit, 1,908 rows of a
    synthetic batch: ~5-9 us against ~20-27 us a row). It writes pydantic's instance slots itself, so
    tests/unit/parsers/test_xmlrows.py pins it, row by row over a synthetic batch, to ``model_construct``
    and to full validation (pydantic itself is pinned in constraints.txt).
    """
    fields = cls.model_fields
    plain = (
        not cls.__pydantic_post_init__
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in fields.values())
        and all(f.default_factory is None for f in fields.values())
    )
    if not plain:  # pragma: no cover - guards a future model change
        return cls.model_construct
    template: dict[str, Any] = {}
    mutable: list[str] = []
    for name, info in fields.items():
        # Required fields get a placeholder slot so that passed values keep declaration order.
        template[name] = None if info.is_required() else info.default
        if isinstance(template[name], (dict, list, set)):
            mutable.append(name)
    required = frozenset(name for name, info in fields.items() if info.is_required())
    new = cls.__new__
    set_attr = object.__setattr__

    def construct(**values: Any) -> _M:
        if not required <= values.keys():
            raise TypeError(f"{cls.__name__}: missing {sorted(required - values.keys())}")
        data = template.copy()
        for name in mutable:
            if name not in values:
                data[name] = copy.copy(template[name])
        data.update(values)
        if len(data) != len(template):
            raise TypeError(f"{cls.__name__}: unknown fields {sorted(values.keys() - template.keys())}")
        m = new(cls)
        set_attr(m, "__dict__", data)
        set_attr(m, "__pydantic_fields_set__", set(values))
        set_attr(m, "__pydantic_extra__", None)
        set_attr(m, "__pydantic_private__", None)
        return m

    return construct


def element_path(el: etree._Element) -> str:
    """XPath-like location of an element, for error messages (computed only on failure)."""
    return str(el.getroottree().getpath(el))


def _walk(
    el: etree._Element,
    raw: dict[str, tuple[str, etree._Element]],
    notes: dict[str, list[str]],
) -> None:
    for child in el:
        tag = child.tag
        field = _VALUE_FIELDS.get(tag)
        if field is not None:
            # A value element: ``<x><value>..</value><footnoteId id=".."/>*</x>``, or a bare text
            # with no ``<value>`` child, which some hand-built filings use.
            text: str | None = None
            source = child
            for sub in child:
                sub_tag = sub.tag
                if sub_tag == "value":
                    source = sub
                    text = sub.text
                elif sub_tag == "footnoteId" and (fid := sub.get("id")):
                    notes.setdefault(field, []).append(fid.strip())
            if source is child:
                bare = child.text
                if bare and not bare.isspace():
                    text = bare
            if text is not None:
                raw[field] = (text, source)
        elif tag == "transactionCoding":
            for sub in child:
                sub_tag = sub.tag
                if sub_tag == "footnoteId":
                    if fid := sub.get("id"):
                        notes.setdefault("transaction_code", []).append(fid.strip())
                elif sub.text is not None and (coding_field := _CODING_FIELDS.get(sub_tag)) is not None:
                    raw[coding_field] = (sub.text, sub)
        elif tag in _CONTAINERS:
            _walk(child, raw, notes)
        elif tag == "footnoteId" and (fid := child.get("id")):
            # A footnote on a container (or the row itself): attach it to the container's main field.
            parent_field = _CONTAINERS.get(str(el.tag), "security_title")
            notes.setdefault(parent_field, []).append(fid.strip())


def _row(
    el: etree._Element,
    table: TableName,
    index: int,
    footnotes: dict[str, str],
    aff10b5_one: bool | None,
    remarks: str | None,
) -> Row:
    raw: dict[str, tuple[str, etree._Element]] = {}
    notes: dict[str, list[str]] = {}
    _walk(el, raw, notes)
    values: dict[str, Any] = {}
    for field, (text, source) in raw.items():
        convert = _CONVERT.get(field)
        if convert is None:
            values[field] = clean_text(text)
            continue
        try:
            values[field] = convert(text)
        except ImplausibleValue as exc:
            raise ImplausibleValue(exc.message, where=element_path(source)) from None
        except ValueError as exc:
            # A schema type violation (junk in a numeric/date/code field) is reported as malformed
            # XML: the document is not a valid ownership document, and guessing a value would lie.
            raise MalformedXml(str(exc), where=element_path(source)) from None
    row_notes: dict[str, tuple[str, ...]] = {}
    for field, ids in notes.items():
        # Dangling references (an id with no <footnote>) are dropped: the contract holds texts.
        texts = tuple(dict.fromkeys(footnotes[i] for i in ids if i in footnotes))
        if texts:
            row_notes[field] = texts
    is_holding = str(el.tag).endswith("Holding")
    plan: bool | None = None
    adoption: date | None = None
    if not is_holding:
        # Holdings are positions, not trades: a 10b5-1 flag has no meaning there and stays None.
        all_texts = dict.fromkeys(t for texts in row_notes.values() for t in texts)
        plan, adoption = plan_10b5_1(
            aff10b5_one, all_texts, remarks=remarks, code=values.get("transaction_code") or ""
        )
    # No re-validation: every value above is already of its field's type (the converters guarantee
    # it, and tests/unit/parsers/test_xmlrows.py checks the rows against Row.model_validate). Validating
    # would double the cost of a row, and model_construct itself costs more than the rest of the row.
    return _new_row(
        table=table,
        index=index,
        is_holding=is_holding,
        footnotes=row_notes,
        plan_10b5_1=plan,
        plan_adoption_date=adoption,
        **values,
    )


_new_row = trusted_constructor(Row)

_TABLES: dict[str, TableName] = {"nonDerivativeTable": "non_derivative", "derivativeTable": "derivative"}
_ROW_TAGS = frozenset(
    {"nonDerivativeTransaction", "nonDerivativeHolding", "derivativeTransaction", "derivativeHolding"}
)


def parse_rows(
    tables: list[etree._Element],
    footnotes: dict[str, str],
    aff10b5_one: bool | None,
    remarks: str | None = None,
) -> tuple[Row, ...]:
    """All rows of Table I then Table II, each indexed from 0 in document order within its table.

    Transactions and holdings share one index sequence per table, in the order they were filed.
    """
    rows: list[Row] = []
    for wanted in ("nonDerivativeTable", "derivativeTable"):
        index = 0
        for table in tables:
            if table.tag != wanted:
                continue
            name = _TABLES[wanted]
            for child in table:
                if child.tag in _ROW_TAGS:
                    rows.append(_row(child, name, index, footnotes, aff10b5_one, remarks))
                    index += 1
    return tuple(rows)
