"""EDGAR's HTML renderings in the corpus (``html/``) through ``parsers.html.parse_html``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from parsers import parse
from parsers.errors import ParseError
from parsers.html import parse_html
from parsers.models import Filing
from tests.support.corpus import ManifestRow
from tests.unit.parsers._rendered import counted, ids, rendered, shape

HTML = rendered("html")
# Only the pages whose XML source the manifest counted get a counts test.
COUNTED = counted(HTML)

# Read off the pages by eye: (owners, Table I rows, Table II rows, codes) per file-name ending.
EXPECTED = {
    "000112760215028697__SEC_FORM_4.html": (1, 19, 1, {"C", "S"}),
    "000120919122024550__SEC_FORM_4.html": (1, 6, 3, {"S"}),
    "form3.BAMPartners.html": (10, 1, 0, set()),
    "form4.Evans.html": (1, 1, 0, {"A"}),
    "374WaterForm4.html": (1, 1, 1, {"A"}),
    "form3.snow.html": (1, 0, 6, set()),
    "form5.snow.html": (1, 3, 0, {"G"}),
    "MSFT_Form4_Example.xml": (1, 1, 1, {"A"}),  # an HTML page despite its name
}


def _parse(row: ManifestRow) -> Filing:
    return parse(row.path.read_bytes(), hint="html")


@pytest.mark.skipif(not HTML, reason="real EDGAR corpus not found")
@pytest.mark.parametrize("row", HTML, ids=ids(HTML))
def test_every_page_parses_with_the_expectedshape(row: ManifestRow) -> None:
    """Prevents a page failing to parse, or rows/owners being dropped or duplicated."""
    filing = _parse(row)
    assert filing.source_format == "html"
    assert filing.form_type == row.form_type
    assert filing.issuer.ticker == row.issuer_ticker
    key = next(k for k in EXPECTED if row.local_name.endswith(k))
    assert shape(filing) == EXPECTED[key]


@pytest.mark.skipif(not COUNTED, reason="real EDGAR corpus not found, or no page has a counted source")
@pytest.mark.parametrize(("row", "source"), COUNTED, ids=ids([row for row, _ in COUNTED]))
def test_counts_agree_with_the_manifest_source(row: ManifestRow, source: ManifestRow) -> None:
    """Prevents disagreement with the manifest's counts of the same filing's XML."""
    owners, t1, t2, codes = shape(_parse(row))
    assert (owners, t1, t2) == (source.n_reporting_owners, source.n_nonderiv_rows, source.n_deriv_rows)
    assert codes == {c for c in source.transaction_codes.split(",") if c}


@pytest.mark.skipif(not HTML, reason="real EDGAR corpus not found")
def test_goog_2015_details() -> None:
    """Prevents footnote markers staying in values, and the (D) column not setting the direction."""
    row = next(r for r in HTML if r.local_name.endswith("000112760215028697__SEC_FORM_4.html"))
    f = _parse(row)
    assert f.issuer.cik == "0001288776"
    assert f.owners[0].cik == "0001295032"
    assert f.owners[0].officer_title == "Co-Founder"
    sale = f.rows[1]
    assert sale.security_title == "Class A Common Stock"
    assert sale.price_per_share == Decimal("634.4608")
    assert sale.footnotes["price_per_share"][0].startswith(
        "The price reported in Column 4 is a weighted average"
    )
    assert f.rows[18].is_holding and f.rows[18].shares_owned_following == Decimal("21169379")
    deriv = f.rows[19]
    assert (deriv.table, deriv.acquired_disposed, deriv.shares) == ("derivative", "D", Decimal("16670"))
    assert deriv.exercise_date is None and "exercise_date" in deriv.footnotes
    assert f.signatures[0].date == date(2015, 10, 5)
    assert f.remarks is not None and "10b5-1" in f.remarks


@pytest.mark.skipif(not HTML, reason="real EDGAR corpus not found")
def test_rendered_10b5_1_checkbox_is_read() -> None:
    """Prevents an unticked 2023 checkbox being read as absent (None) or as ticked."""
    row = next(r for r in HTML if r.local_name.endswith("374WaterForm4.html"))
    f = _parse(row)
    assert f.aff10b5_one is False
    assert all(r.plan_10b5_1 is False for r in f.rows)


@pytest.mark.skipif(not HTML, reason="real EDGAR corpus not found")
def test_dispatch_sniffs_html() -> None:
    """Prevents parse() sending an EDGAR HTML page to another parser."""
    row = HTML[0]
    assert parse(row.path.read_bytes()).source_format == "html"


def test_not_a_form_page_is_rejected() -> None:
    """Prevents an unrelated HTML page parsing into an empty filing."""
    with pytest.raises(ParseError):
        parse_html(b"<html><body><p>hello</p></body></html>", sha256="0" * 64)
