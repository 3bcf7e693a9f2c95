"""Parse plain-text renderings of EDGAR's ownership form pages into a :class:`Filing`.

Any renderer's dump is read: box drawings (``w3m -dump``, ``elinks -dump``), ``|`` grids
(``links2 -dump``, ``html2text``), ``pandoc -t plain`` column rules, flattened running text
(``lynx -dump``) and the seed's markdown-ish text (tab-separated tables, ``\\$`` escapes, ``<sup>``
markers, relationships shown by which checkbox lost its blank). Sections are found by their headings
and header boxes by their labels; a value is read from the same column below its label. Table rows
are read by ``parsers._text_layout``, which fails with ``unparsed_rows`` rather than lose a row.

Renderings drop columns (the seed has no Table I amounts). A dropped value that the rest of the
filing determines is derived and named in ``Row.derived_fields``; any other stays ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from parsers._render_rows import CellRow, build_row, derive_missing
from parsers._text_layout import table_rows
from parsers._values import clean_text, normalise_ticker, parse_date
from parsers.errors import BadEncoding, MissingRequiredField, NotOwnershipForm, UnparsedRows
from parsers.models import Address, Filing, FormType, Issuer, ReportingOwner, Row, Signature

__all__ = ["parse_text"]

_BORDERS = "│|├┤┼"
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_FILLER = re.compile(r"^[\s\-━─_|│+=:]*$")
_LABEL = re.compile(r"^\s*\d[A]?\.\s+\S")
_FOOTNOTE_ITEM = re.compile(r"^\s*(?:-\s+)?\(?(\d{1,2})[.)]\s+(.*)$")


def _lines(content: bytes) -> list[str]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadEncoding(f"not UTF-8 text: {exc}") from exc
    # Markdown: drop bold markers, then un-escape "\$", "\_", "\*" (the seed's rendering).
    text = re.sub(r"(?<!\\)\*\*", "", text)
    text = re.sub(r"\\([$_*\[\]#&])", r"\1", text)
    return text.replace("\r\n", "\n").replace("\xa0", " ").split("\n")


def _column_below(lines: Sequence[str], i: int, start: int, count: int = 40) -> list[str]:
    """Slices of the lines after line ``i`` in the box column that holds position ``start``."""
    label = lines[i]
    left = max(label.rfind(b, 0, start) for b in _BORDERS)
    rights = [p for b in _BORDERS if (p := label.find(b, start)) >= 0]
    right = min(rights) if rights else None
    return [line[left + 1 : right] for line in lines[i + 1 : i + 1 + count]]


def _find(lines: Sequence[str], pattern: str, after: int = 0) -> tuple[int, int] | None:
    rx = re.compile(pattern, re.IGNORECASE)
    for i in range(after, len(lines)):
        if m := rx.search(lines[i]):
            return i, m.start()
    return None


def _below(lines: Sequence[str], pattern: str, count: int = 6) -> list[str]:
    """Meaningful text lines under a label, in its column, up to the next numbered label."""
    hit = _find(lines, pattern)
    if hit is None:
        return []
    out = []
    for seg in _column_below(lines, *hit, count=count):
        if _LABEL.match(seg) or re.search(r"Table I|─|┬|┴", seg):
            break
        if not _FILLER.match(seg):
            out.append(seg.strip())
    return out


def _first_date(segments: Sequence[str]) -> date | None:
    for seg in segments:
        if m := _DATE.search(seg):
            return parse_date(m[0])
    return None


def _owners(lines: Sequence[str]) -> list[ReportingOwner]:
    owners: list[ReportingOwner] = []
    for i, line in enumerate(lines):
        start = line.find("Name and Address of Reporting Person")
        if start < 0:
            continue
        col = [s.rstrip() for s in _column_below(lines, i, max(0, start - 3), count=30)]
        last, street_end, city_end = (
            next((k for k, s in enumerate(col) if key in s), None) for key in ("(Last)", "(Street)", "(City)")
        )
        if last is None or street_end is None or city_end is None:
            continue
        name_lines = [s.strip() for s in col[:last] if not _FILLER.match(s)]
        street: list[str | None] = [s.strip() for s in col[last + 1 : street_end] if not _FILLER.match(s)]
        city_line = next((s.strip() for s in col[street_end + 1 : city_end] if not _FILLER.match(s)), "")
        parts: list[str | None] = list(re.split(r"\s{2,}", city_line))
        if len(parts) < 3 and (m := re.fullmatch(r"(.*?),?\s+([A-Z][A-Z0-9])\s+(\S+)", city_line)):
            parts = [m[1], m[2], m[3]]
        parts += [None, None, None]  # missing address parts are None, never an IndexError
        street += [None, None]
        if not name_lines:
            continue
        name = clean_text(" ".join(name_lines)) or ""
        if any(o.name == name for o in owners):
            continue  # joint filings repeat the first owner below Table II
        owners.append(
            ReportingOwner(
                name=name,
                address=Address(street1=street[0], street2=street[1], city=parts[0] or None, state=parts[1],
                                zip_code=parts[2]),
            )
        )  # fmt: skip
    return owners


_REL_LABELS = (
    ("is_director", r"Director"),
    ("is_ten_percent_owner", r"10% Owner"),
    ("is_officer", r"Officer \(give"),
    ("is_other", r"Other \(specify"),
)


def _relationship(lines: Sequence[str]) -> dict[str, object]:
    hit = _find(lines, r"Relationship of Reporting Person")
    if hit is None:
        return {}
    col: list[str] = []
    for seg in _column_below(lines, *hit, count=14):
        if re.search(r"Individual or Joint|Table I|[─┬┴]", seg) or _LABEL.match(seg):
            break
        col.append(seg)
    blanks_style = any("__" in s for s in col)  # seed: an unchecked box is drawn as "____"
    flags: dict[str, object] = {}
    other_col: int | None = None
    last = -1
    for k, seg in enumerate(col):
        prev_end = 0
        for attr, rx in _REL_LABELS:
            m = re.search(rx, seg)
            if not m:
                continue
            box = seg[prev_end : m.start()]
            prev_end = m.end()
            checked = bool(re.search(r"(?<!\w)X(?!\w)", box)) or (blanks_style and "_" not in box)
            flags[attr] = checked
            if attr == "is_other":
                other_col = m.start()
            last = max(last, k)
    officer: list[str] = []
    other: list[str] = []
    for seg in col[last + 1 :]:
        for m in re.finditer(r"\S+(?: \S+)*", seg):
            if m[0] in ("below)", "(Check all applicable)") or _FILLER.match(m[0]):
                continue
            (other if other_col is not None and m.start() >= other_col - 2 else officer).append(m[0])
    if flags.get("is_officer") or officer:
        flags["officer_title"] = clean_text(" ".join(officer))
    if flags.get("is_other") or other:
        flags["other_text"] = clean_text(" ".join(other))
    return flags


def _footnotes(lines: Sequence[str], seed: bool) -> tuple[dict[str, str], str | None]:
    hit = _find(lines, r"Explanation of Responses")
    if hit is None:
        return {}, None
    items: dict[int, list[list[str]]] = {}
    current: int | None = None
    remarks: list[str] | None = None
    sig = _find(lines, r"Signature of Reporting Person", after=hit[0])
    stop = sig[0] if sig else len(lines)
    if sig and _DATE.search(lines[stop - 1]):
        stop -= 1  # the signer's "/s/ name  date" line, glued to the last footnote by html2text
    for line in lines[hit[0] + 1 : stop]:
        text = line.strip()
        if re.match(r"(?:Note:|Reminder:|\*\* ?Signature|-?\s*\*)", text) or "Signature of Reporting" in text:
            if remarks is not None or current is not None:
                break
            continue
        if text.startswith("Remarks:"):
            remarks = [text[len("Remarks:") :].strip()]
            current = None
            continue
        if remarks is not None:
            if not text or _FILLER.match(text):
                break
            remarks.append(text)
            continue
        if not text:
            # Rendered footnotes are one paragraph each: a blank line ends the item, so the
            # signature block that may follow is never glued onto the last footnote.
            current = None
            continue
        m = _FOOTNOTE_ITEM.match(line)
        if m and (current is None or int(m[1]) > current):
            current = int(m[1])
            items[current] = [[m[2].strip()]]
        elif current is not None and text and not _FILLER.match(text):
            # A markdown hard break (two trailing spaces) starts a new paragraph of the same item.
            items[current][-1].append(text)
        if current is not None and seed and line.endswith("  "):
            items[current].append([])
    notes: dict[str, str] = {}
    ids = sorted(items)
    for n, nxt in zip(ids, [*ids[1:], None] if ids else [], strict=True):
        paras = [" ".join(p) for p in items[n] if p]
        gap = (nxt - n - 1) if nxt is not None else 0
        if gap and len(paras) == gap + 1:
            # The seed merged a footnote into the previous one's paragraph (markers (1), (3) but
            # two paragraphs under (1)): give each orphan paragraph the missing number.
            for k, para in enumerate(paras):
                notes[f"F{n + k}"] = clean_text(para) or ""
        else:
            notes[f"F{n}"] = clean_text(" ".join(paras)) or ""
    return notes, (clean_text(" ".join(remarks)) if remarks else None)


def _signatures(lines: Sequence[str]) -> tuple[Signature, ...]:
    hit = _find(lines, r"Signature of Reporting Person")
    if hit is None:
        return ()
    block: list[str] = []
    for line in reversed(lines[: hit[0]]):
        if not line.strip() or _FILLER.match(line) or re.search(r"Remarks:|^\s*#", line):
            break
        block.insert(0, line.strip())
    text = " ".join(block)
    dates = _DATE.findall(text)
    name = clean_text(_DATE.sub(" ", text))
    if not name:
        return ()
    return (Signature(name=name, date=parse_date(dates[-1]) if dates else None),)


def _region(lines: Sequence[str], raw: Sequence[str], start: str, ends: Sequence[str]) -> list[str]:
    """The ``raw`` lines between the line matching ``start`` and the next matching one of ``ends``
    (both searched in ``lines``, the same lines with html2text's ``_`` blanks made spaces)."""
    hit = _find(lines, start)
    if hit is None:
        return []
    end = next(
        (k for k in range(hit[0] + 1, len(lines)) if any(re.search(e, lines[k]) for e in ends)), len(lines)
    )
    return list(raw[hit[0] + 1 : end])


def _checkbox(lines: Sequence[str], pattern: str) -> bool | None:
    hit = _find(lines, pattern)
    if hit is None:
        return None
    window = lines[max(0, hit[0] - 8) : hit[0] + 3]
    return any(re.search(r"[│|]\s*X\s*[│|]|^\s*X\s", line) for line in window)


def parse_text(content: bytes, *, sha256: str) -> Filing:
    """Parse a plain-text rendering (w3m, pandoc or the seed's layout) of a Form 3, 4 or 5.

    Args:
        content: the text's raw bytes (UTF-8).
        sha256: hash of ``content``, identifying the filing (the text has no accession number).

    Raises:
        ParseError: not an ownership form rendering, or a required part is missing.
    """
    raw = _lines(content)
    # html2text draws every blank inside a box as "_" ("Table_I_-_Non-Derivative"); the tables keep
    # them (a row's last line is the one drawn with "_"), every other part reads them as spaces.
    boxed_blanks = sum("_|" in line for line in raw) >= 3
    lines = [line.replace("_", " ") for line in raw] if boxed_blanks else raw
    head = "\n".join(lines[:20])
    m = re.search(r"\bFORM\s+([345])(/A)?\b", head, re.IGNORECASE)
    if not m or not _find(lines, r"Table I\b"):
        raise NotOwnershipForm("no Form 3/4/5 title and Table I in the text")
    joined = "\n".join(lines)
    flavour = "w3m" if "│" in joined else ("seed" if re.search(r"^[^\n]*\t", joined, re.M) else "pandoc")
    original = _first_date(_below(lines, r"If Amendment", count=4))
    form_type: FormType = f"{m[1]}/A" if (m[2] or original) else m[1]  # type: ignore[assignment]

    owners = _owners(lines)
    if not owners:
        raise MissingRequiredField("no reporting owner", where="1. Name and Address of Reporting Person")
    owners[0] = owners[0].model_copy(update=_relationship(lines))

    issuer_text = " ".join(_below(lines, r"Issuer Name and Ticker", count=4)[:2])
    im = re.search(r"^(.*?)\s*\[\s*([^\]]*?)\s*\]", issuer_text)
    issuer = Issuer(
        cik="", name=clean_text(im[1] if im else issuer_text), ticker=normalise_ticker(im[2]) if im else None
    )
    period = _first_date(
        _below(lines, r"Date of Earliest Transaction|Date of Event Requiring|Fiscal Year Ended", count=4)
    )
    footnotes, remarks = _footnotes(lines, seed=flavour == "seed")
    aff = _checkbox(lines, r"Rule 10b5-1\(c\)")

    t1 = _region(lines, raw, r"Table I - ", [r"Table II - ", r"Explanation of Responses"])
    t2 = _region(
        lines, raw, r"Table II - ", [r"Explanation of Responses", r"Reporting Owners", r"Name and Address"]
    )
    cell_rows: list[CellRow] = table_rows(t1, "non_derivative", flavour, form_type) + table_rows(
        t2, "derivative", flavour, form_type
    )
    rows: list[Row] = []
    dropped: dict[int, set[str]] = {}
    counters = {"non_derivative": 0, "derivative": 0}
    for cr in cell_rows:
        dropped[len(rows)] = cr.missing
        rows.append(build_row(cr, counters[cr.table], footnotes, aff, remarks))
        counters[cr.table] += 1
    rows = derive_missing(rows, dropped)
    for row, cr in zip(rows, cell_rows, strict=True):
        if "ad" in cr.missing and row.shares is not None and row.acquired_disposed is None:
            # Flattened text loses which of Table II's (A)/(D) columns held the amount; unless the
            # code settles it, the row's direction is unknown, and a guess could invert a trade.
            shown = " ".join(v for v in cr.cells.values())
            raise UnparsedRows(
                f"{row.table} row {row.index}: the rendering does not show whether the amount was "
                "acquired (A) or disposed of (D)",
                (shown,),
                where=f"{row.table} row {row.index}",
            )
    return Filing(
        source_format="text",
        form_type=form_type,
        content_sha256=sha256,
        period_of_report=period,
        date_of_original_submission=original,
        aff10b5_one=aff,
        remarks=remarks,
        issuer=issuer,
        owners=tuple(owners),
        rows=tuple(rows),
        footnotes=footnotes,
        signatures=_signatures(lines),
    )
