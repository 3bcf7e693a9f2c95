"""Find Tables I and II in plain-text renderings, whichever renderer drew them.

Readers: box drawings (w3m, elinks), ``|`` grids (links2's ``-+`` rules, html2text's ``_`` rules),
pandoc's column rules, the seed's tabs, and flattened running text (lynx; ``parsers._text_flat``).
The reader is picked per table by what its lines look like. Each returns
:class:`~parsers._render_rows.CellRow` objects by semantic column; the column meaning comes from the
leaf-column count (grids, pandoc), the header words (seed, whose rendering merges and drops columns,
recorded in ``CellRow.missing``) or the content (flattened text). Whatever the reader,
``parsers._text_guard.check_all_read`` then proves that no value of the table was left unread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers._render_rows import CellRow, layout_for
from parsers._text_flat import flat_rows
from parsers._text_guard import check_all_read, header_end, normalise_markers
from parsers.errors import UnparsedRows, UnsupportedFormat
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


_BAR_RULE = re.compile(r"^[\s|+=-]*-[\s|+=-]*$")  # may close an empty nested column: "|---+---|   |"


def _bars(region: Sequence[str]) -> list[list[str]]:
    """Rows of a ``|`` grid: links2 closes a row with a ``|---+---|`` rule, html2text draws the
    row's last line with ``_`` for blanks (so it has no space inside any cell)."""
    blocks: list[list[str]] = []
    current: list[str] = []

    def close() -> None:
        nonlocal current
        if current:
            blocks.append(current)
        current = []

    for line in region:
        text = line.rstrip()
        if _BAR_RULE.match(text) or "|" not in text:
            close()
            continue
        current.append(text)
        inner = text.strip().strip("|").split("|")
        if "_" in text and not any(" " in part for part in inner):
            close()
    close()
    labels = [k for k, block in enumerate(blocks) if any(_HEADER_WORDS.search(line) for line in block)]
    out: list[list[str]] = []
    for block in blocks[labels[-1] + 1 if labels else 0 :]:
        if any(not line.endswith("|") for line in block):
            # links2 cuts a table wider than the page: the rightmost cells are gone.
            raise UnparsedRows("a table row cut at the right edge of the rendering", tuple(block))
        split = [line.strip()[1:-1].split("|") for line in block]
        if len(split[0]) < 2:
            continue  # a one-cell line: a caption, not a row
        if any(len(parts) != len(split[0]) for parts in split):
            raise UnparsedRows("a table row whose lines disagree on the column count", tuple(block))
        cols = zip(*split, strict=True)
        out.append([" ".join(p.replace("_", " ").strip() for p in col if p.strip("_ ")) for col in cols])
    return [[cell.replace("^ (", "^(") for cell in row] for row in out]


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


# Column labels in a grid's header block (a data row never carries these words).
_HEADER_WORDS = re.compile(r"Instr\.|Title of|\bCode\b|Exercisable|Amount or|\(A\) or|puts, calls|Month/")

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


def _reader(region: Sequence[str]) -> str:
    """Which reader a table region needs, from what its lines look like."""
    if any("│" in line for line in region):
        return "w3m"
    if sum(line.strip().startswith("|") for line in region) >= 2:
        return "bars"
    if any(_PANDOC_COLS.match(line) for line in region):
        return "pandoc"
    return "flat"


def table_rows(region: Sequence[str], table: TableName, flavour: str, form: str) -> list[CellRow]:
    """The rows of one table's text region (the lines between its title and the next section).

    Args:
        region: the region's lines.
        table: which table.
        flavour: ``"seed"`` for the seed's tab layout; any other value picks the reader by content.
        form: the form type ("4", "5/A", ...).

    Raises:
        UnparsedRows: a line of the table shows a value that no row was read from.
        UnsupportedFormat: a grid whose column count fits no layout of the form.
    """
    rows = _table_rows(region, table, flavour, form)
    # The seed's tables are its tab lines; its other lines are page headers and footers ("SEC 1474").
    check_all_read([line for line in region if "\t" in line] if flavour == "seed" else region, rows, table)
    return rows


def _table_rows(region: Sequence[str], table: TableName, flavour: str, form: str) -> list[CellRow]:
    if flavour == "seed":
        return _seed(region, table)
    reader = _reader(region)
    if reader == "flat":
        body = [normalise_markers(line) for line in region[header_end(region) :]]
        return flat_rows(body, table, form)
    raw = {"w3m": _w3m, "bars": _bars, "pandoc": _pandoc}[reader](region)
    out = []
    for cells in ([normalise_markers(c) for c in row] for row in raw):
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
