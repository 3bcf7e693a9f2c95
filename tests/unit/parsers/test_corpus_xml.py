"""Every real XML and complete-submission filing of the corpus: parsed and checked, or rightly rejected.

The manifest (``FORM4_CORPUS/manifest.tsv``) is the oracle. Files it marks as not real or not original
(``NOT-A-REAL-FILING``, ``NOT ORIGINAL BYTES``, ``malformed-xml``, ``header-only``) must be rejected:

* NOT-A-REAL-FILING: the technical specification's samples omit ``rptOwnerName`` -> missing_required_field;
* NOT ORIGINAL BYTES / malformed-xml: unescaped ``&`` -> malformed_xml; a custom
  ``<ownershipDocuments>`` wrapper of several filings -> not_ownership_form (or malformed_xml);
* header-only: no document in the submission -> missing_required_field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import ParseError, parse
from parsers._values import normalise_ticker
from parsers.models import Row
from tests.support.corpus import ManifestRow, manifest

pytestmark = pytest.mark.corpus

_ROWS = [r for r in manifest() if r.format in ("xml", "submission_txt")]


def _expected_rejections(row: ManifestRow) -> set[str] | None:
    """Reason codes a manifest row must be rejected with, or None when it must parse."""
    if row.feature("NOT-A-REAL-FILING"):
        return {"missing_required_field"}
    if row.feature("NOT ORIGINAL BYTES") or row.feature("malformed-xml"):
        return {"malformed_xml", "not_ownership_form"}
    if row.feature("header-only"):
        return {"missing_required_field"}
    return None


def _id(row: ManifestRow) -> str:
    return row.local_name.split("/", 1)[-1][-70:]


# Without a corpus, one placeholder case lets the `corpus` fixture skip with its clear reason.
_IDS = [_id(r) for r in _ROWS] or ["no-corpus"]


@pytest.mark.parametrize("row", _ROWS or [None], ids=_IDS)
def test_corpus_file(corpus: Path, row: ManifestRow | None) -> None:
    """A corpus file must not disagree with the manifest (owners, rows, codes, ticker).

    Nor be rejected wrongly.
    """
    assert row is not None
    content = row.path.read_bytes()
    expected = _expected_rejections(row)
    if expected is not None:
        with pytest.raises(ParseError) as info:
            parse(content)
        assert info.value.reason in expected, info.value
        return
    filing = parse(content)
    assert filing.form_type == row.form_type
    if row.n_reporting_owners is not None:
        assert len(filing.owners) == row.n_reporting_owners
    non_derivative = sum(1 for r in filing.rows if r.table == "non_derivative")
    if row.n_nonderiv_rows is not None:
        assert non_derivative == row.n_nonderiv_rows
    if row.n_deriv_rows is not None:
        assert len(filing.rows) - non_derivative == row.n_deriv_rows
    if row.n_nonderiv_rows is not None:
        codes = {r.transaction_code for r in filing.rows if r.transaction_code}
        assert codes == {c for c in row.transaction_codes.split(",") if c}
    # Placeholders ("NONE", "n/a") in the manifest mean no ticker, which the parser reports as None.
    assert filing.issuer.ticker == normalise_ticker(row.issuer_ticker)
    if "aff10b5One=" in row.features:
        assert filing.aff10b5_one is not None
    acc = next((p.strip()[4:] for p in row.features.split(";") if p.strip().startswith("acc=")), None)
    if row.format == "submission_txt" and acc:
        assert filing.accession_number == acc
    # Rows are built without re-validation for speed: prove each one is a valid Row as is.
    for r in filing.rows:
        assert Row.model_validate(r.model_dump()) == r


def test_corpus_10b5_1_feature_flags_a_row(corpus: Path) -> None:
    """Filings the manifest marks 10b5-1 must flag at least one transaction as a plan trade."""
    missed = []
    for row in _ROWS:
        if "10b5-1" not in row.features.split("; ") or _expected_rejections(row) is not None:
            continue
        filing = parse(row.path.read_bytes())
        if not any(r.plan_10b5_1 for r in filing.rows):
            missed.append(row.local_name)
    assert missed == []


def test_corpus_present_or_skipped(corpus: Path) -> None:
    """The corpus must supply XML/submission rows, so the parametrised tests are not silently empty."""
    assert len(_ROWS) > 250
