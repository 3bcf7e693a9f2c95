"""Plain-text renderings in the corpus (``text/``: w3m and pandoc) through ``parsers.text.parse_text``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parsers import parse
from parsers.errors import ParseError
from parsers.models import Filing
from parsers.text import parse_text
from tests.support.corpus import ManifestRow
from tests.unit.parsers._rendered import counted, ids, rendered, shape

TEXT = rendered("text")
# Only the renderings whose XML source the manifest counted get a counts test.
COUNTED = counted(TEXT)

# Read off the renderings by eye: (owners, Table I rows, Table II rows, codes) per file-name part.
EXPECTED = {
    "000112760215028697__SEC_FORM_4": (1, 19, 1, {"C", "S"}),
    "000120919122024550__SEC_FORM_4": (1, 6, 3, {"S"}),
    "form3.BAMPartners": (10, 1, 0, set()),
    "form4.Evans": (1, 1, 0, {"A"}),
    "374WaterForm4": (1, 1, 1, {"A"}),
    "form3.snow": (1, 0, 6, set()),
    "form5.snow": (1, 3, 0, {"G"}),
}


def _parse(row: ManifestRow) -> Filing:
    return parse(row.path.read_bytes(), hint="text")


@pytest.mark.skipif(not TEXT, reason="real EDGAR corpus not found")
@pytest.mark.parametrize("row", TEXT, ids=ids(TEXT))
def test_every_rendering_parses_with_the_expectedshape(row: ManifestRow) -> None:
    """Prevents a rendering failing to parse, or header lines read as rows, or wrapped rows split."""
    filing = _parse(row)
    assert filing.source_format == "text"
    assert filing.form_type == row.form_type
    assert filing.issuer.ticker == row.issuer_ticker
    assert filing.issuer.cik == ""  # a text rendering carries no CIK: never guessed
    key = next(k for k in EXPECTED if k in row.local_name)
    assert shape(filing) == EXPECTED[key]
    assert not any(r.derived_fields for r in filing.rows)  # w3m/pandoc keep every column
    assert filing.signatures and filing.signatures[0].date is not None


@pytest.mark.skipif(not COUNTED, reason="real EDGAR corpus not found, or no rendering has a counted source")
@pytest.mark.parametrize(("row", "source"), COUNTED, ids=ids([row for row, _ in COUNTED]))
def test_counts_agree_with_the_manifest_source(row: ManifestRow, source: ManifestRow) -> None:
    """Prevents disagreement with the manifest's counts of the same filing's XML."""
    owners, t1, t2, codes = shape(_parse(row))
    assert (owners, t1, t2) == (source.n_reporting_owners, source.n_nonderiv_rows, source.n_deriv_rows)
    assert codes == {c for c in source.transaction_codes.split(",") if c}


@pytest.mark.skipif(not TEXT, reason="real EDGAR corpus not found")
@pytest.mark.parametrize("flavour", ["w3m", "pandoc"])
def test_wrapped_cells_and_markers(flavour: str) -> None:
    """Prevents a wrapped cell ("Class B Common" / "Stock") or a wrapped "^(2)" marker being lost."""
    row = next(r for r in TEXT if "000112760215028697" in r.local_name and f".{flavour}." in r.local_name)
    f = _parse(row)
    assert f.rows[1].price_per_share == Decimal("634.4608")
    assert f.rows[1].footnotes["price_per_share"][0].startswith("The price reported in Column 4")
    deriv = f.rows[19]
    assert deriv.security_title == "Class B Common Stock"
    assert deriv.underlying_security_title == "Class A Common Stock"
    assert (deriv.acquired_disposed, deriv.shares) == ("D", Decimal("16670"))
    assert f.owners[0].officer_title == "Co-Founder"
    assert (f.owners[0].is_director, f.owners[0].is_ten_percent_owner, f.owners[0].is_officer) == (
        True,
        True,
        True,
    )


@pytest.mark.skipif(not TEXT, reason="real EDGAR corpus not found")
@pytest.mark.parametrize("flavour", ["w3m", "pandoc"])
def test_last_footnote_stops_before_the_signature(flavour: str) -> None:
    """Prevents the signature line being glued onto the last footnote when there are no remarks."""
    row = next(r for r in TEXT if "374WaterForm4" in r.local_name and f".{flavour}." in r.local_name)
    f = _parse(row)
    assert f.footnotes["F1"].endswith("through each vesting date.")
    assert f.remarks is None


def test_not_a_form_is_rejected() -> None:
    """Prevents arbitrary text parsing into an empty filing."""
    with pytest.raises(ParseError):
        parse_text(b"just some notes\nnothing to see\n", sha256="0" * 64)


@pytest.mark.skipif(not TEXT, reason="real EDGAR corpus not found")
def test_dispatch_with_text_hint() -> None:
    """Prevents parse(hint="text") not reaching the text parser."""
    assert parse(TEXT[0].path.read_bytes(), hint="text").source_format == "text"
