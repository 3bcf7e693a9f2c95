"""Parse EDGAR's HTML rendering of an ownership form (the ``xslF345X0n`` page) into a :class:`Filing`.

The page is what EDGAR's stylesheet makes of the XML, so it carries almost everything, except
the schema version and the relationships of joint filers after the first (the stylesheet shows only
the first owner's relationship box; the others stay ``False``). The accession number is not in the
form itself, but a saved page names the EDGAR URL it came from (``<!-- saved from url=... -->``) and
pages may link to their filing's folder: the accession number is read from such a URL.
"""

from __future__ import annotations

import re
from datetime import date
from typing import cast

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from parsers._render_rows import FIELD_OF, CellRow, build_row, layout_for
from parsers._values import clean_text, normalise_cik, normalise_ticker, parse_date
from parsers.errors import BadEncoding, MissingRequiredField, NotOwnershipForm, UnsupportedFormat
from parsers.models import Address, Filing, FormType, Issuer, ReportingOwner, Row, Signature, TableName

__all__ = ["accession_in_page", "parse_html"]

_CIK_HREF = re.compile(r"CIK=(\d{1,10})", re.IGNORECASE)
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_FOOTNOTE = re.compile(r"^\(?(\d{1,2})[.)]\s*(.*)$", re.DOTALL)
# .../Archives/edgar/data/<CIK>/<18-digit accession>/xslF345X03/form4.xml (dashes optional).
_ARCHIVE_URL = re.compile(
    rb"/Archives/edgar/data/\d{1,10}/(\d{10})-?(\d{2})-?(\d{6})(?![0-9])", re.IGNORECASE
)


def accession_in_page(content: bytes) -> str | None:
    """The accession number of the EDGAR archive URL(s) in the page, when they all name one."""
    found = {b"-".join(m.groups()).decode() for m in _ARCHIVE_URL.finditer(content)}
    return found.pop() if len(found) == 1 else None


def _text(el: HtmlElement | None) -> str:
    return clean_text(el.text_content()) or "" if el is not None else ""


def _label_cell(root: HtmlElement, label: str) -> HtmlElement | None:
    """The innermost ``td`` whose own label span contains ``label`` (case-insensitive)."""
    hits = root.xpath(
        "//td[span[contains(translate(normalize-space(.), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        "'abcdefghijklmnopqrstuvwxyz'), $l)]]",
        l=label.lower(),
    )
    return hits[0] if hits else None


def _date_in(el: HtmlElement | None) -> date | None:
    if el is None:
        return None
    m = _DATE.search(" ".join(el.xpath(".//span[contains(@class,'FormData')]//text()")))
    return parse_date(m[0]) if m else None


def _checkbox_before(root: HtmlElement, label: str) -> bool | None:
    """A rendered checkbox next to ``label``: ``True`` if marked, ``False`` if empty, ``None`` if absent."""
    cells = root.xpath("//td[contains(normalize-space(.), $l) and not(.//td)]", l=label)
    if not cells:
        return None
    box = cells[0].getprevious()
    return box is not None and "X" in box.text_content().upper()


def _form_type(root: HtmlElement, amended: bool) -> FormType:
    name = _text(next(iter(root.xpath("//td[contains(@class,'FormName')]")), None))
    m = re.search(r"FORM\s*([345])", name, re.IGNORECASE) or re.search(
        r"SEC\s+FORM\s*([345])", _text(next(iter(root.xpath("//title")), None)), re.IGNORECASE
    )
    if not m:
        raise NotOwnershipForm("no FORM 3/4/5 title on the page")
    return f"{m[1]}/A" if amended or "/A" in name.upper() else m[1]  # type: ignore[return-value]


def _owner(cell: HtmlElement) -> ReportingOwner:
    link = next(iter(cell.xpath(".//a")), None)
    cik = None
    if link is not None and (m := _CIK_HREF.search(link.get("href", ""))):
        cik = normalise_cik(m[1])
    name = _text(link) if link is not None else _text(next(iter(cell.xpath(".//table[1]//td")), None))
    # Street lines are the FormData spans of the first data table; city/state/zip the next one.
    tables = [t for t in cell.xpath("./table") if t.xpath(".//span[contains(@class,'FormData')]")]
    street = [clean_text(s.text_content()) for s in tables[0].xpath(".//span")] if tables else []
    city = [clean_text(s.text_content()) for s in tables[1].xpath(".//span")] if len(tables) > 1 else []
    street += [None, None]
    city += [None, None, None]
    address = Address(street1=street[0], street2=street[1], city=city[0], state=city[1], zip_code=city[2])
    if not name:
        raise MissingRequiredField("reporting owner without a name", where="1. Name and Address")
    return ReportingOwner(cik=cik, name=name, address=address)


def _relationship(root: HtmlElement) -> dict[str, object]:
    cell = _label_cell(root, "Relationship of Reporting Person")
    if cell is None:
        return {}
    flags: dict[str, object] = {}
    keys = {"director": "is_director", "10% owner": "is_ten_percent_owner", "officer": "is_officer",
            "other": "is_other"}  # fmt: skip
    rows = cell.xpath(".//table//tr")
    for tr in rows:
        tds = tr.xpath("./td")
        for mark, label in zip(tds[::2], tds[1::2], strict=False):
            text = _text(label).lower()
            for key, attr in keys.items():
                if text.startswith(key):
                    flags[attr] = "X" in _text(mark).upper()
    # The title row: either four cells (officer title second, other text fourth) or one cell of spans.
    if rows:
        last = rows[-1].xpath("./td")
        if len(last) == 4:
            flags["officer_title"] = clean_text(last[1].text_content())
            flags["other_text"] = clean_text(last[3].text_content())
        elif len(last) == 1 and not _text(last[0]).lower().startswith("officer"):
            spans = [clean_text(s.text_content()) for s in last[0].xpath(".//span")] + [None, None]
            flags["officer_title"], flags["other_text"] = spans[0], spans[1]
    return flags


def _footnotes_and_remarks(root: HtmlElement) -> tuple[dict[str, str], str | None]:
    notes: dict[str, str] = {}
    remarks: str | None = None
    head = root.xpath("//td[normalize-space(.)='Explanation of Responses:']")
    if not head:
        return notes, remarks
    in_remarks = False
    for tr in head[0].getparent().itersiblings():
        text = clean_text(tr.text_content()) or ""
        if text.startswith("Remarks:"):
            in_remarks = True
            continue
        if in_remarks:
            remarks = (remarks + " " + text if remarks else text) or None
        elif m := _FOOTNOTE.match(text):
            notes[f"F{int(m[1])}"] = m[2].strip()
        elif notes and text:
            # A footnote of several paragraphs: later rows continue the last numbered one.
            last = next(reversed(notes))
            notes[last] += " " + text
    return notes, remarks or None


def _signatures(root: HtmlElement) -> tuple[Signature, ...]:
    out = []
    for label in root.xpath(
        "//td[contains(normalize-space(.), 'Signature of Reporting Person') and not(.//td)]"
    ):
        tr = label.getparent().getprevious()
        if tr is None:
            continue
        texts = [clean_text(s.text_content()) for s in tr.xpath(".//span[contains(@class,'FormData')]")]
        spans = [s for s in texts if s]
        dates = [s for s in spans if _DATE.fullmatch(s)]
        names = [s for s in spans if not _DATE.fullmatch(s)]
        if names:
            out.append(Signature(name=names[0], date=parse_date(dates[0]) if dates else None))
    return tuple(out)


def _cell_text(td: HtmlElement) -> tuple[str, list[str]]:
    """A table cell's text without its footnote superscripts, and the footnote ids those name."""
    ids = [f"F{int(n)}" for sup in td.xpath(".//sup") for n in re.findall(r"\d+", sup.text_content())]
    # lxml-stubs type the HTML parsers as returning a plain _Element; they build HtmlElements.
    copy = cast(HtmlElement, lxml.html.fromstring(lxml.etree.tostring(td)))
    for sup in copy.xpath(".//sup"):
        sup.drop_tree()
    return clean_text(copy.text_content()) or "", ids


def _table_rows(root: HtmlElement, table: TableName, title: str, form: str) -> list[CellRow]:
    hits = root.xpath("//table[.//th[contains(normalize-space(.), $t)]]", t=title)
    if not hits:
        return []
    out = []
    for tr in hits[0].xpath("./tbody/tr | ./tr[td]"):
        tds = tr.xpath("./td")
        layout = layout_for(table, len(tds), form)
        if layout is None:
            raise UnsupportedFormat(f"{title}: a row of {len(tds)} cells", where=title)
        cells: dict[str, str] = {}
        markers: dict[str, list[str]] = {}
        for col, td in zip(layout, tds, strict=False):
            cells[col], ids = _cell_text(td)
            if ids:
                markers.setdefault(FIELD_OF[col], []).extend(ids)
        out.append(CellRow(table=table, cells=cells, markers=markers))
    return out


def parse_html(content: bytes, *, sha256: str) -> Filing:
    """Parse EDGAR's HTML rendering of a Form 3, 4 or 5.

    Args:
        content: the page's raw bytes.
        sha256: hash of ``content``.

    Raises:
        ParseError: not an ownership form page, or a required part is missing or unreadable.
    """
    try:
        root = cast(HtmlElement, lxml.html.document_fromstring(content))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise BadEncoding(f"not readable as HTML: {exc}") from exc
    amend_cell = _label_cell(root, "If Amendment")
    original = _date_in(amend_cell)
    form_type = _form_type(root, original is not None)

    owner_cells = root.xpath(
        "//td[span[starts-with(normalize-space(.), '1. Name and Address of Reporting')]]"
    )
    owners: list[ReportingOwner] = []
    for cell in owner_cells:
        owner = _owner(cell)
        # Joint filings list the first owner again below Table II: keep each owner once.
        if not any((o.cik, o.name) == (owner.cik, owner.name) for o in owners):
            owners.append(owner)
    if not owners:
        raise MissingRequiredField("no reporting owner", where="1. Name and Address of Reporting Person")
    owners[0] = owners[0].model_copy(update=_relationship(root))

    issuer_cell = _label_cell(root, "Issuer Name")
    if issuer_cell is None:
        raise MissingRequiredField("no issuer box", where="Issuer Name and Ticker or Trading Symbol")
    link = next(iter(issuer_cell.xpath(".//a")), None)
    issuer_cik = ""
    if link is not None and (m := _CIK_HREF.search(link.get("href", ""))):
        issuer_cik = normalise_cik(m[1]) or ""
    # "2. Issuer Name and Ticker or Trading Symbol  EVANS BANCORP INC [ EVBN ]"
    m = re.search(r"Symbol\s*(.*?)\s*\[\s*(.*?)\s*\]", _text(issuer_cell))
    issuer = Issuer(
        cik=issuer_cik,
        name=(_text(link) if link is not None else (m[1] if m else "")) or None,
        ticker=normalise_ticker(m[2]) if m else None,
    )
    period_cell = next(
        (c for lbl in ("Date of Earliest Transaction", "Date of Event Requiring", "Fiscal Year Ended")
         if (c := _label_cell(root, lbl)) is not None),
        None,
    )  # fmt: skip
    footnotes, remarks = _footnotes_and_remarks(root)
    aff = _checkbox_before(root, "Rule 10b5-1(c)")
    cell_rows = _table_rows(root, "non_derivative", "Table I - ", form_type) + _table_rows(
        root, "derivative", "Table II - ", form_type
    )
    rows: list[Row] = []
    counters = {"non_derivative": 0, "derivative": 0}
    for cr in cell_rows:
        rows.append(build_row(cr, counters[cr.table], footnotes, aff, remarks))
        counters[cr.table] += 1
    return Filing(
        source_format="html",
        form_type=form_type,
        accession_number=accession_in_page(content),
        content_sha256=sha256,
        period_of_report=_date_in(period_cell),
        date_of_original_submission=original,
        aff10b5_one=aff,
        not_subject_to_section16=_checkbox_before(root, "no longer subject to Section 16"),
        remarks=remarks,
        issuer=issuer,
        owners=tuple(owners),
        rows=tuple(rows),
        footnotes=footnotes,
        signatures=_signatures(root),
    )
