"""Amendments as they are really filed (issue 10): which original a 3/A, 4/A or 5/A amends, and what
it leaves of that original's rows. Pure functions over the ledger's state records.

* **Matching.** EDGAR gives no link from an amendment to its original. An amendment amends one
  original of the same issuer and form, sharing at least one reporting owner (a 4/A may add or drop a
  joint filer): the one whose accession number its remarks or footnotes name, else the one whose rows
  it restates, and only then the one of the same period of report or filed on the date it names as
  the original's. Transaction dates and owners are what amendments exist to correct, so neither has
  to agree.
* **Restating.** A partial amendment replaces only the rows it restates: the rows of the same *slot*
  (table, holding = security and ownership, transaction code and date; a holding row by its holding
  alone). A restated row whose slot the original lacks replaces the original's one slot differing
  only by date (a corrected date), else it is a row the original left out. A complete restatement
  (every part of the form the original filled is present again, or the remarks say so) replaces all.
  Rows go only when the amendment clearly removes them: restated with zero shares, or a remark or
  footnote saying the transaction is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from streams.domain.state import FilingMeta, FilingRow

NEAR_DAYS = 5
"""How far apart (calendar days) an amendment's dates and its original's may be and still be looked
at together: a date of original submission written on the day of an evening submission that EDGAR
dates the next business day, across a weekend or a holiday."""

_ACCESSION = re.compile(r"\b(\d{10})-(\d{2})-(\d{6})\b")
_PART = re.compile(r"\b(?:form|filing|report)\s+(\d{1,2})\s+of\s+(\d{1,2})\b", re.I)
_COMPLETE = re.compile(
    r"\bin\s+(?:its|their)\s+entirety\b|\bcomplete(?:ly)?\s+restate|\bamends?\s+and\s+restates?\b"
    r"|\brestates?\s+(?:the\s+)?(?:entire|whole)\s+(?:form|filing|report)\b",
    re.I,
)
_DELETED = re.compile(
    r"\b(?:delet(?:e|es|ed|ing)|remov(?:e|es|ed|ing)|withdraw(?:s|n|ing)?)\s+(?:the\s+|this\s+|such\s+)?"
    r"(?:\w+\s+){0,4}?transactions?\b"
    r"|\btransactions?\b[^.]{0,80}\b(?:is|was|are|were|has\s+been|have\s+been|should\s+be)\s+"
    r"(?:deleted|removed|withdrawn|cancell?ed\s+in\s+error)\b"
    r"|\bshould\s+not\s+have\s+been\s+reported\b|\b(?:reported|included)\s+in\s+error\b",
    re.I,
)

Slot = tuple[str, str, str, date | None]


def named_accessions(text: str, own: str | None) -> tuple[str, ...]:
    """Accession numbers a filing's remarks and footnotes name, other than its own."""
    found = {"-".join(m.groups()) for m in _ACCESSION.finditer(text)}
    return tuple(sorted(found - {own} if own else found))


def part_of(text: str) -> str | None:
    """``"1 of 2"`` for a continuation filing ("Form 1 of 2"), else ``None``."""
    m = _PART.search(text)
    return f"{int(m.group(1))} of {int(m.group(2))}" if m else None


def says_complete(text: str) -> bool:
    return bool(_COMPLETE.search(text))


def says_deleted(text: str) -> bool:
    return bool(_DELETED.search(text))


def family(form: str) -> str:
    """``4`` for 4 and 4/A: an amendment amends a filing of its own form."""
    return form.removesuffix("/A")


def slot(row: FilingRow) -> Slot:
    """Which reported line a row is: an amendment's row replaces the original's rows of its slot."""
    if row.is_holding:
        return (row.table, row.holding, "holding", None)
    return (row.table, row.holding, row.code or "-", row.day)


def _loose(s: Slot) -> tuple[str, str, str]:
    return s[0], s[1], s[2]


def _part(row: FilingRow) -> tuple[str, bool]:
    return row.table, row.is_holding


def is_complete(amendment: FilingMeta, original_rows: Sequence[FilingRow]) -> bool:
    """A complete restatement: the remarks say so, or every part of the form the original filled
    (Table I and II, transactions and holdings) is filled again."""
    if amendment.complete:
        return True
    filled = {_part(r) for r in original_rows}
    return bool(filled) and filled <= {_part(r) for r in amendment.rows}


def restate(current: Sequence[FilingRow], amendment: FilingMeta) -> list[FilingRow]:
    """The rows that stand once ``amendment`` restates ``current`` (an original's rows as amended so far)."""
    deleted = set(amendment.deletions)
    added = [r for r in amendment.rows if r.event_id not in deleted]
    if is_complete(amendment, current):
        return added
    restated = {slot(r) for r in amendment.rows}
    have = {slot(r) for r in current}
    replaced = restated & have
    for s in sorted(restated - have, key=_slot_order):
        # A restated line the original lacks: the original's one line differing only by date is the
        # one corrected (the nearest, when several are left); none, and it is a line left out before.
        others = [
            o
            for o in have - restated - replaced
            if _loose(o) == _loose(s) and o[3] is not None and s[3] is not None
        ]
        if others:
            replaced.add(min(others, key=lambda o: (abs((o[3] - s[3]).days), _slot_order(o))))  # type: ignore[operator]
    return [r for r in current if slot(r) not in replaced] + added


def _slot_order(s: Slot) -> tuple[str, str, str, str]:
    return s[0], s[1], s[2], s[3].isoformat() if s[3] else ""


def chain_rows(original_rows: Sequence[FilingRow], amendments: Iterable[FilingMeta]) -> list[FilingRow]:
    """An original's rows after each of its amendments in filing order (``amendments`` sorted)."""
    rows = list(original_rows)
    for amendment in amendments:
        rows = restate(rows, amendment)
    return rows


def filing_order(meta: FilingMeta) -> tuple[str, str]:
    return meta.order, meta.filing_id


def _owner_keys(meta: FilingMeta) -> frozenset[str]:
    return frozenset(o.key for o in meta.owners)


def match_score(amendment: FilingMeta, original: FilingMeta) -> tuple[int, ...] | None:
    """How well ``original`` fits as the filing ``amendment`` amends (higher is better), or ``None``
    when it cannot be: another issuer or form, no reporting owner in common, or nothing that ties them."""
    if (
        original.amendment
        or original.issuer != amendment.issuer
        or family(original.form_type) != family(amendment.form_type)
        or not _owner_keys(original) & _owner_keys(amendment)
    ):
        return None
    named = original.accession is not None and original.accession in amendment.refs
    slots = {slot(r) for r in original.rows}
    exact = sum(1 for r in amendment.rows if slot(r) in slots)
    same = {_figures(r) for r in original.rows}
    identical = sum(1 for r in amendment.rows if _figures(r) in same)
    part = amendment.part is not None and amendment.part == original.part
    owners = _owner_keys(original) == _owner_keys(amendment)
    dated = amendment.orig is not None and amendment.orig == original.filed
    period = amendment.period is not None and amendment.period == original.period
    loose = {_loose(s) for s in slots}
    moved = sum(1 for r in amendment.rows if _loose(slot(r)) in loose)
    if not (named or exact or dated or period):
        return None
    return (named, exact, part, identical, owners, dated, period, moved)


def _figures(row: FilingRow) -> tuple[object, ...]:
    return (*slot(row), row.shares, row.price, row.owned_following, row.underlying_shares)


def best_original(amendment: FilingMeta, candidates: Iterable[FilingMeta]) -> str | None:
    """The filing ``amendment`` amends among ``candidates``, or ``None`` (its original is unseen).

    Ties go to the earliest filed, so the choice depends on the set of candidates only."""
    scored = [(s, c) for c in candidates if (s := match_score(amendment, c)) is not None]
    if not scored:
        return None
    best = max(s for s, _ in scored)
    return min(filing_order(c) for s, c in scored if s == best)[1]


def restates(amendment: FilingMeta, earlier: FilingMeta) -> bool:
    """Whether an amendment of an unseen original restates an earlier one of the same unseen original."""
    if amendment.refs and earlier.accession in amendment.refs:
        return True
    slots = {slot(r) for r in earlier.rows}
    return any(slot(r) in slots for r in amendment.rows) or (
        amendment.orig is not None and amendment.orig == earlier.orig and amendment.period == earlier.period
    )


__all__ = [
    "NEAR_DAYS",
    "best_original",
    "chain_rows",
    "family",
    "filing_order",
    "is_complete",
    "match_score",
    "named_accessions",
    "part_of",
    "restate",
    "restates",
    "says_complete",
    "says_deleted",
    "slot",
]
