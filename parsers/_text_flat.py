"""Read table rows from renderings that flatten a table into running text (``lynx -dump``).

No column survives: a row is the cells' texts in order, separated by spaces, wrapped onto as many
lines as the width needs, with empty cells gone. Rows are read by their content (dates, ``$``
amounts, numbers, codes, A/D and D/I letters, footnote markers), with one grammar per table and
form. A row is accepted only when the reading is unique: the lines must split into rows in exactly
one way, and each row's free-text cells (titles) must not be able to take a value from a neighbour.
Anything else raises :class:`~parsers.errors.UnparsedRows`: a filing read wrongly is worse than a
dead letter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from parsers._render_rows import CellRow
from parsers.errors import UnparsedRows
from parsers.models import TableName

__all__ = ["flat_rows"]

_MK = r"\^\(\d{1,2}\)"  # markers are normalised to "^(n)" before this reader runs
_ATT = rf"(?:{_MK})*"  # markers glued to their value: "757,756^(1)"
_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONEY = rf"\$\s?{_NUM}"
# A word of a free-text cell: anything but a whole value token, so a title cannot swallow a cell.
_VALUE_WORD = rf"(?:{_DATE}|\$\S*|(?:{_MK})+|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+\.\d+){_ATT}"
_WORD = rf"(?!{_VALUE_WORD}(?:\s|$))\S+"


def _cell(value: str) -> str:
    """A cell holding ``value`` with its markers, or only markers (a footnote-only value)."""
    return rf"(?:{value}{_ATT}|(?:{_MK})+)"


_MONEY_WORD = rf"(?!(?:{_DATE}|(?:{_MK})+|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+\.\d+){_ATT}(?:\s|$))\S+"


def _text(name: str, greedy: bool, money: bool = False) -> str:
    """A free-text cell; ``money``: it may hold a "$0.01" ("par value $0.01") when no $ cell follows."""
    q = "*" if greedy else "*?"
    word = _MONEY_WORD if money else _WORD
    return rf"(?P<{name}>{word}(?:\s+{word}){q})"


def _opt(name: str, body: str) -> str:
    return rf"(?:(?P<{name}>{body})\s+)?"


def _req(name: str, body: str) -> str:
    return rf"(?P<{name}>{body})\s+"


# The nature of ownership is free text too: were it any text, a row could swallow the next line's row.
_TAIL = rf"(?P<di>[DI]{_ATT})(?:\s+(?P<nature>{_WORD}(?:\s+{_WORD})*))?"


@cache
def _grammars(table: TableName, form: str, greedy: bool) -> tuple[re.Pattern[str], ...]:
    """Row grammars of one table of one form: transactions first, then holdings."""
    # Table I's title is followed by a date or an amount, never by a $ cell: it may hold "$0.01".
    title = _text("title", greedy, money=table == "non_derivative") + r"\s+"
    code = rf"[A-Z](?:\(K\))?{_ATT}"
    if table == "non_derivative":
        if form == "3":
            return (re.compile(title + _req("following", _cell(_NUM)) + _TAIL),)
        trade = (
            title
            + _req("date", _cell(_DATE))
            + _opt("deemed", _cell(_DATE))
            + _req("code", code)
            + _opt("v", "V")
            + _opt("amount", _cell(_NUM))
            + _req("ad", rf"[AD]{_ATT}")
            + _opt("price", _cell(_MONEY))
            + _req("following", _cell(_NUM))
            + _TAIL
        )
        holding = title + _req("following", _cell(_NUM)) + _TAIL
        return re.compile(trade), re.compile(holding)
    underlying = (
        _req("exercisable", _cell(_DATE))
        + _req("expiration", _cell(_DATE))
        + _text("u_title", greedy)
        + r"\s+"
        + _req("u_shares", _cell(_NUM))
    )
    if form == "3":
        return (re.compile(title + underlying + _opt("conv", _cell(_MONEY)) + _TAIL),)
    trade = (
        title
        + _opt("conv", _cell(_MONEY))
        + _req("date", _cell(_DATE))
        + _opt("deemed", _cell(_DATE))
        + _req("code", code)
        + _opt("v", "V")
        + _req("amount", _cell(_NUM))
        + underlying
        + _opt("price", _cell(_MONEY))
        + _req("following", _cell(_NUM))
        + _TAIL
    )
    holding = title + _opt("conv", _cell(_MONEY)) + underlying + _req("following", _cell(_NUM)) + _TAIL
    return re.compile(trade), re.compile(holding)


def _read(text: str, table: TableName, form: str) -> dict[str, str] | None:
    """The cells of one row's text, or ``None`` when no grammar reads it or two readings differ."""
    for lazy, greedy in zip(_grammars(table, form, False), _grammars(table, form, True), strict=True):
        a, b = lazy.fullmatch(text), greedy.fullmatch(text)
        if a is None and b is None:
            continue
        if a is None or b is None or a.groupdict() != b.groupdict():
            return None  # the title/underlying boundary is not determined by the content
        return {k: v for k, v in a.groupdict().items() if v is not None}
    return None


_MAX_LINES = 4  # a row of 16 cells wraps onto at most this many lines at 80 columns


def flat_rows(lines: Sequence[str], table: TableName, form: str) -> list[CellRow]:
    """The rows of a flattened table's data lines (the header already cut off).

    Raises:
        UnparsedRows: some lines are no row, or the lines split into rows in more than one way.
    """
    data = [re.sub(r"\s+", " ", line).strip() for line in lines if line.strip()]
    if not data:
        return []
    kind = form[:1]
    n = len(data)
    # ways[i]: number of ways (capped at 2) to read data[i:] as whole rows; step[i]: the first row's size.
    ways = [0] * n + [1]
    step = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        for k in range(1, min(_MAX_LINES, n - i) + 1):
            if ways[i + k] and _read(" ".join(data[i : i + k]), table, kind) is not None:
                if ways[i] == 0:
                    step[i] = k
                ways[i] = min(2, ways[i] + ways[i + k])
    if ways[0] != 1:
        why = (
            "no reading of these lines as rows" if ways[0] == 0 else "these lines split into rows in two ways"
        )
        raise UnparsedRows(f"{table} table: {why}", tuple(data), where=f"{table} table")
    out: list[CellRow] = []
    i = 0
    while i < n:
        cells = _read(" ".join(data[i : i + step[i]]), table, kind)
        assert cells is not None  # the count above found this reading
        missing: set[str] = set()
        if table == "derivative" and "amount" in cells:
            # Which of the (A) and (D) columns held the amount is lost with the columns.
            missing.add("ad")
        out.append(CellRow(table=table, cells=cells, missing=missing))
        i += step[i]
    return out
