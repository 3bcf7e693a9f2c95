"""Rows of Tables I and II as EDGAR's renderings show them (HTML page, w3m, pandoc, seed text).

The HTML and text parsers only find the cells; everything after that is shared here: which column
holds what (by form and column count), how a rendered cell splits into value and footnote markers,
how EDGAR's K/V code suffixes map back to the model, and which missing values the rest of the
filing determines (``derive_missing``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from parsers._values import clean_text, parse_date, parse_decimal, plan_10b5_1
from parsers.errors import ImplausibleValue, MissingRequiredField
from parsers.models import Row, TableName

__all__ = [
    "CellRow",
    "build_row",
    "derive_missing",
    "layout_for",
    "split_markers",
]

# Leaf columns of each table, left to right, keyed by how many leaf columns the rendering has.
# Form 5 drops the "V" column; Form 3 has its own, shorter tables.
_T1_LAYOUTS: dict[int, tuple[str, ...]] = {
    11: ("title", "date", "deemed", "code", "v", "amount", "ad", "price", "following", "di", "nature"),
    10: ("title", "date", "deemed", "code", "amount", "ad", "price", "following", "di", "nature"),
    4: ("title", "following", "di", "nature"),
}
_T2_LAYOUTS: dict[int, tuple[str, ...]] = {
    16: (
        "title", "conv", "date", "deemed", "code", "v", "amount_a", "amount_d", "exercisable",
        "expiration", "u_title", "u_shares", "price", "following", "di", "nature",
    ),
    15: (
        "title", "conv", "date", "deemed", "code", "amount_a", "amount_d", "exercisable",
        "expiration", "u_title", "u_shares", "price", "following", "di", "nature",
    ),
    8: ("title", "exercisable", "expiration", "u_title", "u_shares", "conv", "di", "nature"),
}  # fmt: skip

# Semantic column -> Row field (for footnote attribution and value parsing).
FIELD_OF: dict[str, str] = {
    "title": "security_title",
    "date": "transaction_date",
    "deemed": "deemed_execution_date",
    "code": "transaction_code",
    "v": "transaction_code",
    "amount": "shares",
    "amount_a": "shares",
    "amount_d": "shares",
    "ad": "acquired_disposed",
    "price": "price_per_share",
    "following": "shares_owned_following",
    "di": "direct_indirect",
    "nature": "nature_of_ownership",
    "conv": "conversion_or_exercise_price",
    "exercisable": "exercise_date",
    "expiration": "expiration_date",
    "u_title": "underlying_security_title",
    "u_shares": "underlying_shares",
}

# Footnote markers as the renderings draw them: "<sup>(1)</sup>" (seed), "^(1)" (w3m, possibly
# wrapped onto the next line as "^ (1)"), "⁽¹⁾" (pandoc's Unicode superscripts).
_SUP_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_MARKER = re.compile(r"<sup>\s*\((\d{1,2})\)\s*</sup>|\^\s*\((\d{1,2})\)|⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})⁾")
# Codes that exercise or convert a derivative: on Table II the derivative itself is always disposed of.
_EXERCISE_CODES = frozenset({"M", "X", "O", "C"})


_WIDTH = {("3", "non_derivative"): 4, ("3", "derivative"): 8, ("4", "non_derivative"): 11,
          ("4", "derivative"): 16, ("5", "non_derivative"): 10, ("5", "derivative"): 15}  # fmt: skip


def layout_for(table: TableName, n_columns: int, form: str | None = None) -> tuple[str, ...] | None:
    """The semantic column names of a table, or ``None`` if the rendering's shape is unknown.

    Args:
        table: which table.
        n_columns: how many leaf columns the rendering has.
        form: the form type ("4", "5/A", ...); when given, its own layout is used provided the
            rendering has at least that many columns (renderers add empty columns on the right).
    """
    layouts = _T1_LAYOUTS if table == "non_derivative" else _T2_LAYOUTS
    if form is not None:
        width = _WIDTH[(form[:1], table)]
        return layouts[width] if n_columns >= width else None
    return layouts.get(n_columns)


def split_markers(cell: str) -> tuple[str, list[str]]:
    """Split a rendered cell into its value text and footnote ids (``"F1"``) in order."""
    ids: list[str] = []

    def _take(m: re.Match[str]) -> str:
        digits = m[1] or m[2] or m[3].translate(_SUP_DIGITS)
        ids.append(f"F{int(digits)}")
        return " "

    text = _MARKER.sub(_take, cell)
    return (clean_text(text) or ""), ids


@dataclass
class CellRow:
    """One rendered row: semantic column -> cell text (markers still inside), plus what was missing.

    ``missing`` names semantic columns the rendering dropped altogether (as opposed to empty cells),
    so that ``derive_missing`` knows which values may be reconstructed.
    """

    table: TableName
    cells: dict[str, str]
    missing: set[str] = field(default_factory=set)
    markers: dict[str, list[str]] = field(default_factory=dict)
    """Extra footnote ids per Row field found outside the cells (e.g. HTML ``<sup>`` elements)."""


def _decimal(text: str, where: str) -> Decimal | None:
    try:
        return parse_decimal(text)
    except ImplausibleValue as exc:
        raise ImplausibleValue(exc.message, where=where) from None
    except ValueError as exc:
        raise MissingRequiredField(f"unreadable amount {text!r}", where=where) from exc


_WRAPPED_DATE = re.compile(r"(\d{1,2}/\d{1,2}/)\s+(\d{4})")


def _date(text: str, where: str) -> date | None:
    # w3m wraps a date in a narrow column as "11/09/" + "2022": join it back before reading.
    text = _WRAPPED_DATE.sub(r"\1\2", text)
    m = re.search(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}", text)
    if not m:
        return None
    try:
        return parse_date(m[0])
    except ValueError as exc:
        raise MissingRequiredField(f"unreadable date {text!r}", where=where) from exc


def build_row(
    cell_row: CellRow,
    index: int,
    footnotes: Mapping[str, str],
    aff10b5_one: bool | None,
    remarks: str | None = None,
) -> Row:
    """Turn one rendered row into a :class:`Row`.

    Args:
        cell_row: the row's cells by semantic column.
        index: position within its table.
        footnotes: the filing's footnotes, id -> text, to resolve markers.
        aff10b5_one: the filing-level 10b5-1 checkbox, when rendered.
        remarks: the filing's remarks, which may tie all its trades to a plan.
    """
    where = f"{cell_row.table} row {index}"
    values: dict[str, str] = {}
    notes: dict[str, list[str]] = {k: list(v) for k, v in cell_row.markers.items()}
    for col, raw in cell_row.cells.items():
        text, ids = split_markers(raw)
        values[col] = text
        if ids:
            notes.setdefault(FIELD_OF[col], []).extend(ids)
    data: dict[str, object] = {}
    data["security_title"] = values.get("title") or None
    data["transaction_date"] = _date(values.get("date", ""), where)
    data["deemed_execution_date"] = _date(values.get("deemed", ""), where)
    # The code cell carries EDGAR's suffixes: "S(K)"/"SK" for an equity swap, "V" for early.
    code_text = re.sub(r"[^A-Z]", "", values.get("code", "").upper())
    code = code_text[:1] or None
    data["transaction_code"] = code
    if code is not None:
        data["equity_swap"] = "K" in code_text[1:]
        if "V" in code_text[1:] or values.get("v", "").strip().upper() == "V":
            data["timeliness"] = "E"
    shares_text = values.get("amount", "")
    ad = values.get("ad", "").strip().upper()[:1] or None
    if cell_row.table == "derivative" and ("amount_a" in values or "amount_d" in values):
        # Table II shows the amount in the (A) column or the (D) column: the column is the direction.
        a_text, d_text = values.get("amount_a", ""), values.get("amount_d", "")
        shares_text = a_text or d_text
        ad = "A" if a_text else ("D" if d_text else None)
    data["shares"] = _decimal(shares_text, where)
    data["acquired_disposed"] = ad if ad in ("A", "D") else None
    data["price_per_share"] = _decimal(values.get("price", ""), where)
    data["shares_owned_following"] = _decimal(values.get("following", ""), where)
    di = values.get("di", "").strip().upper()[:1]
    data["direct_indirect"] = di if di in ("D", "I") else None
    data["nature_of_ownership"] = values.get("nature") or None
    data["conversion_or_exercise_price"] = _decimal(values.get("conv", ""), where)
    data["exercise_date"] = _date(values.get("exercisable", ""), where)
    data["expiration_date"] = _date(values.get("expiration", ""), where)
    data["underlying_security_title"] = values.get("u_title") or None
    data["underlying_shares"] = _decimal(values.get("u_shares", ""), where)
    is_holding = data["transaction_date"] is None and code is None
    resolved = {
        fld: tuple(footnotes[i] for i in dict.fromkeys(ids) if i in footnotes) for fld, ids in notes.items()
    }
    resolved = {k: v for k, v in resolved.items() if v}
    plan, adoption = None, None
    if not is_holding:
        # Holdings are positions, not trades: no 10b5-1 flag (as the XML parser does).
        texts = dict.fromkeys(t for ts in resolved.values() for t in ts)
        plan, adoption = plan_10b5_1(aff10b5_one, texts, remarks=remarks, code=code or "")
    return Row(
        table=cell_row.table,
        index=index,
        is_holding=is_holding,
        footnotes=resolved,
        plan_10b5_1=plan,
        plan_adoption_date=adoption,
        **data,  # type: ignore[arg-type]
    )


def _same_position(a: Row, b: Row) -> bool:
    return (
        (a.security_title or "").lower() == (b.security_title or "").lower()
        and a.direct_indirect == b.direct_indirect
        and (a.nature_of_ownership or "") == (b.nature_of_ownership or "")
    )


def _from_chain(rows: Sequence[Row], i: int) -> Decimal | None:
    """Shares of row ``i`` from the "owned following" chain: previous following +/- shares = following."""
    row = rows[i]
    if row.shares_owned_following is None or row.acquired_disposed is None:
        return None
    for prev in reversed(rows[:i]):
        if not _same_position(prev, row):
            continue
        if prev.shares_owned_following is None:
            return None
        delta = row.shares_owned_following - prev.shares_owned_following
        shares = delta if row.acquired_disposed == "A" else -delta
        # A zero or negative amount means the chain is broken (another position, a missing row).
        return shares if shares > 0 else None
    return None


def _from_exercise(row: Row, derivatives: Sequence[Row]) -> Decimal | None:
    """Shares of an exercise acquisition from the matching Table II row's underlying amount."""
    if row.transaction_code not in _EXERCISE_CODES or row.acquired_disposed != "A":
        return None
    matches = [
        d.underlying_shares
        for d in derivatives
        if d.transaction_code == row.transaction_code
        and d.transaction_date == row.transaction_date
        and (d.underlying_security_title or "").lower() == (row.security_title or "").lower()
        and d.underlying_shares is not None
    ]
    # Two exercises on the same day of the same underlying are ambiguous: derive nothing.
    return matches[0] if len(matches) == 1 else None


def derive_missing(rows: Sequence[Row], dropped: Mapping[int, set[str]]) -> list[Row]:
    """Fill values a rendering dropped when the rest of the filing determines them; flag each one.

    Only columns named in ``dropped`` (by position in ``rows``) are touched, and a value is derived
    only when every route that applies gives the same number: a wrong number is worse than none.
    Values no route determines stay ``None``.
    """
    out = list(rows)
    derivatives = [r for r in rows if r.table == "derivative"]
    for i, row in enumerate(out):
        gone = dropped.get(i, set())
        update: dict[str, object] = {}
        if "amount" in gone and row.shares is None and not row.is_holding and "shares" not in row.footnotes:
            table_rows = [r for r in out if r.table == row.table]
            pos = next(k for k, r in enumerate(table_rows) if r.index == row.index)
            found = {
                v for v in (_from_chain(table_rows, pos), _from_exercise(row, derivatives)) if v is not None
            }
            if len(found) == 1:
                update["shares"] = found.pop()
        if "ad" in gone and row.table == "derivative" and row.acquired_disposed is None:
            if row.transaction_code in _EXERCISE_CODES:
                update["acquired_disposed"] = "D"
        if update:
            out[i] = row.model_copy(update={**update, "derived_fields": row.derived_fields + tuple(update)})
    return out
