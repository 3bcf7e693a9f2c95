"""No silent row loss: every value a table region shows must be in some parsed row.

Whatever the renderer, a row's dates, amounts, prices and footnote markers are digits on the page.
After the table's header (column labels, whose "(Instr. 3, 4 and 5)" are digits too), each digit
run of the region is counted, and so is each digit run of the cells the readers returned; any
digit run left over belongs to a line no reader understood, and the filing fails with those lines
(:class:`~parsers.errors.UnparsedRows`) instead of succeeding with fewer rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from parsers._render_rows import CellRow
from parsers.errors import UnparsedRows
from parsers.models import TableName

__all__ = ["check_all_read", "header_end", "normalise_markers"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_TOKEN = re.compile(r"\d+(?:[,./]\d+)*")
# Column labels. Anchored to label wording, never to words a security title could carry.
_HEADER = re.compile(
    r"Instr\.?|Month/|Day/|/Year|Title of|Exercisable|Amount or|\(A\) or|\(A\)\s*(?:[│|_]\s*)?\(D\)|"
    r"\bCode\b|puts, calls|Ownership Form|Nature of|Transaction\s*\(s\)|\d,? and \d\)|"
    r"^\W*\d{1,2}A?\.\s|[│|]\s*\d{1,2}A?\.\s|(?:^|[│|])\s*(?:and )?\d\)\s*(?:[│|]|$)"
)
# A wrapped tail of the last label line ("of Shares", "Price"): label words only.
_LABEL_ONLY = re.compile(
    r"^\s*(?:(?:Code|V|Amount|\(A\)|\(D\)|or|Price|Date|Exercisable|Expiration|Title|Number|of|Shares)\s*)+$"
)
# A line that is surely data: a date, a $ amount, a grouped or decimal number, a footnote marker.
_STRONG = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\$\s?\d|\d,\d{3}|\d\.\d|\^\s?\(\d")
_MARKERS = re.compile(
    r"(?<![(^>])\((\d{1,2})\)|\[(\d{1,2})\]|⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})⁾|(?<=[\w.)%])([¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]?)"
)


def normalise_markers(text: str) -> str:
    """Footnote markers as each renderer draws them (``(1)``, ``[1]``, ``⁽¹⁾``, ``¹``) -> ``^(1)``."""

    def _one(m: re.Match[str]) -> str:
        digits = next(g for g in m.groups() if g is not None).translate(_SUPERSCRIPTS)
        return f"^({int(digits)})"

    return _MARKERS.sub(_one, text)


def _tokens(texts: Iterable[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for text in texts:
        # "11/09/" + "2022" (a date wrapped in a narrow cell) and "1,234," + "567" join either way.
        out.update(m[0] for m in _TOKEN.finditer(text.translate(_SUPERSCRIPTS)))
    return out


def header_end(region: Sequence[str]) -> int:
    """Index of the first line after the table's column labels.

    Only lines before the first surely-data line can be labels, so a title that happens to contain
    a label's word cannot hide the rows above it.
    """
    first_data = next((i for i, line in enumerate(region) if _STRONG.search(line)), len(region))
    labels = [
        i for i, line in enumerate(region[:first_data]) if _HEADER.search(line) or _LABEL_ONLY.match(line)
    ]
    return labels[-1] + 1 if labels else 0


def check_all_read(region: Sequence[str], rows: Sequence[CellRow], table: TableName) -> None:
    """Raise :class:`UnparsedRows` when the region shows a value that no row in ``rows`` holds."""
    body = region[header_end(region) :]
    shown = _tokens(body)
    read = _tokens(text for row in rows for text in row.cells.values())
    left = shown - read
    if not left:
        return
    lines = tuple(line for line in body if _tokens([line]) & left)
    raise UnparsedRows(
        f"{table} table: {sum(left.values())} value(s) on lines no row was read from "
        f"({len(rows)} row(s) read)",
        lines,
        where=f"{table} table",
    )
