"""Find Tables I and II in plain-text renderings: w3m box drawings, pandoc column rules, seed tabs.

Each reader returns :class:`~parsers._render_rows.CellRow` objects by semantic column; the column
meaning comes from the leaf-column count (w3m, pandoc) or from the header words (seed, whose
rendering merges and drops columns, recorded in ``CellRow.missing``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers._render_rows import CellRow, layout_for
from parsers.errors import UnsupportedFormat
from parsers.models import TableName

__all__ = ["table_rows"]

_W3M_SEP = re.compile(r"^\s*[├┌└][─┬┴┼┤┐┘├│ ]*$")
_PANDOC_COLS = re.compile(r"^\s*-+(?: +-+){2,}\s*$")
_PANDOC_RULE = re.compile(r"^\s*-{20,}\s*$")
# Lines of a header row, never of a data row.
_HEADER = re.compile(
    r"\(Instr\.|Title of|Amount or|\(A\) or \(D\)|Date Exercisable|^\s*Code\b|Number of|"
    r"Following|Exercise Price|Beneficial Ownership|^\s*\(?Instr",
    re.IGNORECASE,
)


def _w3m(region: Sequence[str]) -> list[list[str]]:
    rows: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    in_data = False
    for line in region:
        if _W3M_SEP.match(line):
            if current:
                rows.append(current)
            current = None
            # Only the rule under the last header line is all crossings; header rules also have ┬.
            in_data = "┼" in line and "┬" not in line
            continue
        if not in_data or "│" not in line:
            continue
        parts = line.rstrip().split("│")[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
        if current is None:
            current = [[] for _ in parts]
        if len(parts) != len(current):
            raise UnsupportedFormat("a table row whose lines disagree on the column count")
        for col, part in zip(current, parts, strict=True):
            col.append(part.strip())
    if current:
        rows.append(current)
    # A cell's lines are one value wrapped by the renderer; "^" + "(2)" is a wrapped marker.
    return [[" ".join(p for p in col if p).replace("^ (", "^(") for col in row] for row in rows]


def _pandoc(region: Sequence[str]) -> list[list[str]]:
    start = next((i for i, line in enumerate(region) if _PANDOC_COLS.match(line)), None)
    if start is None:
        return []
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", region[start])]
    groups: list[list[str]] = [[]]
    for line in region[start + 1 :]:
        if _PANDOC_RULE.match(line) or _PANDOC_COLS.match(line):
            break
        if not line.strip():
            groups.append([])
            continue
        groups[-1].append(line)
    groups = [g for g in groups if g]
    # A headerless "multiline" table separates rows by blank lines; a simple table has one line a row.
    rows_lines = groups if len(groups) > 1 else [[line] for line in (groups[0] if groups else [])]
    out = []
    for lines in rows_lines:
        if any(_HEADER.search(line) for line in lines):
            continue
        cells: list[list[str]] = [[] for _ in spans]
        for line in lines:
            for k, (s, e) in enumerate(spans):
                end = len(line) if k == len(spans) - 1 else e + 1
                cells[k].append(line[s:end].strip())
        out.append([" ".join(p for p in col if p) for col in cells])
    return out


# Seed layout: header words -> semantic columns. "group" columns hold several values in a row.
_SEED_HEADERS: tuple[tuple[str, str], ...] = (
    (r"Title of Derivative|Title of Security", "title"),
    (r"Conversion or Exercise", "conv"),
    (r"Deemed", "deemed"),
    (r"Transaction Date", "date"),
    (r"Transaction Code", "code"),
    (r"Number of Derivative Securities Acquired", "amount"),
    (r"Securities Acquired \(A\)", "group4"),
    (r"Date Exercisable", "dates"),
    (r"Title and Amount", "u_title"),
    (r"Amount or Number", "u_shares"),
    (r"Price of Derivative", "price"),
    (r"Number of derivative Securities Beneficially|Amount of Securities Beneficially", "following"),
    (r"Ownership Form", "di"),
    (r"Nature of Indirect", "nature"),
)
_T1_ALL = {"title", "date", "deemed", "code", "v", "amount", "ad", "price", "following", "di", "nature"}
_T2_ALL = {"title", "conv", "date", "deemed", "code", "v", "amount", "ad", "exercisable", "expiration",
           "u_title", "u_shares", "price", "following", "di", "nature"}  # fmt: skip
_TOKEN = re.compile(r"\$\s*([\d,.]+)|(?<![\w$])([AD])(?!\w)|([\d,]+(?:\.\d+)?)((?:<sup>\(\d+\)</sup>\s*)*)")
_DATE_ITEM = re.compile(r"(\d{1,2}/\d{1,2}/\d{4})?\s*((?:<sup>\(\d+\)</sup>\s*)*)")


def _split_amounts(text: str) -> dict[str, str]:
    """Read "[amount] [A|D] [$price] [following]" left to right; absent parts stay absent."""
    out: dict[str, str] = {}
    for m in _TOKEN.finditer(text):
        if m[1] is not None:
            out["price"] = m[1]
        elif m[2] is not None:
            out["ad"] = m[2]
        elif m[3] is not None:
            # A bare number before the direction is the amount; after it (or after a price), the holding.
            key = "following" if ("ad" in out or "price" in out) else "amount"
            out[key] = m[3] + (m[4] or "")
    return out


def _split_dates(text: str) -> dict[str, str]:
    """ "(3) 04/28/2021": a date or a lone footnote marker per item, exercisable first."""
    items = [m[0].strip() for m in _DATE_ITEM.finditer(text) if m[0].strip()]
    return dict(zip(("exercisable", "expiration"), items, strict=False))


def _seed(region: Sequence[str], table: TableName) -> list[CellRow]:
    tab_lines = [line.rstrip("\n") for line in region if "\t" in line]
    if not tab_lines:
        return []
    header = tab_lines[0].split("\t")
    roles: list[str | None] = []
    for cell in header:
        role = next((r for pat, r in _SEED_HEADERS if re.search(pat, cell, re.IGNORECASE)), None)
        roles.append(role)
    out = []
    for line in tab_lines[1:]:
        parts = line.split("\t")
        cells: dict[str, str] = {}
        pending = ""
        for role, part in zip(roles, parts + [""] * (len(roles) - len(parts)), strict=False):
            if role == "group4":
                pending = part
            elif role == "following" and table == "non_derivative":
                cells.update(_split_amounts(pending + " " + part))
            elif role == "dates":
                cells.update(_split_dates(part))
            elif role is not None:
                cells[role] = part
        # A column is missing when the rendering has no place for it (no header) or, in the merged
        # amounts group, no token for it; an empty cell under its own header is just empty.
        everything = _T1_ALL if table == "non_derivative" else _T2_ALL
        missing = everything - set(cells) - {r for r in roles if r is not None}
        out.append(CellRow(table=table, cells=cells, missing=missing))
    return out


def table_rows(region: Sequence[str], table: TableName, flavour: str, form: str) -> list[CellRow]:
    """The rows of one table's text region, for a rendering ``flavour`` (w3m, pandoc or seed) of ``form``."""
    if flavour == "seed":
        return _seed(region, table)
    raw = _w3m(region) if flavour == "w3m" else _pandoc(region)
    out = []
    for cells in raw:
        layout = layout_for(table, len(cells), form)
        if layout is None:
            raise UnsupportedFormat(f"{table} table with {len(cells)} columns")
        # Form 5 pages declare more columns than they fill: the extra ones come out empty on the right.
        if any(c.strip() for c in cells[len(layout) :]):
            raise UnsupportedFormat(f"{table} table: text beyond its {len(layout)} columns")
        cells = cells[: len(layout)]
        if not any(c.strip() for c in cells):
            continue
        out.append(CellRow(table=table, cells=dict(zip(layout, cells, strict=True))))
    return out
