"""EDGAR complete-submission parser on hand-made fixtures (tests/fixtures/filings)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from parsers import ParseError, parse
from parsers.submission import SubmissionHeader, parse_header, parse_submission

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "filings"


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _reason(content: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse(content)
    return info.value.reason


def test_header_fields_and_eastern_acceptance_time() -> None:
    """Acceptance time must be 16:30:45 US/Eastern (UTC-5 in March before DST), not naive or UTC."""
    header = parse_header(_load("submission_form4.txt"))
    assert header == SubmissionHeader(
        accession_number="0009999999-24-000123",
        submission_type="4",
        filing_date=date(2024, 3, 6),
        filed_at=header.filed_at,
    )
    assert header.filed_at is not None
    assert header.filed_at.replace(tzinfo=None) == datetime(2024, 3, 5, 16, 30, 45)
    assert header.filed_at.utcoffset() == timedelta(hours=-5)


def test_submission_parses_embedded_xml_with_header_context() -> None:
    """The filing must carry the header's accession and times, and the XML's rows, not one or the other."""
    filing = parse(_load("submission_form4.txt"))
    assert filing.source_format == "submission"
    assert filing.accession_number == "0009999999-24-000123"
    assert filing.filing_id == "0009999999-24-000123"
    assert filing.filing_date == date(2024, 3, 6)
    assert filing.filed_at is not None and filing.filed_at.isoformat() == "2024-03-05T16:30:45-05:00"
    assert filing.issuer.ticker == "SMPL"
    assert [r.transaction_code for r in filing.rows] == ["S"]
    assert filing.rows[0].plan_10b5_1 is False


def test_dissemination_nc_form_and_amendment_from_header() -> None:
    """The <SUBMISSION> (.nc) dialect must parse, and a 4/A submission type must make the form 4/A."""
    filing = parse(_load("submission_dissemination.nc"))
    assert filing.accession_number == "0009999999-25-000280"
    assert filing.filing_date == date(2025, 1, 8)
    assert filing.filed_at is None  # the .nc form carries no acceptance time
    assert filing.form_type == "4/A"
    assert filing.rows[0].is_holding


def test_ten_k_submission_not_ownership_form() -> None:
    """A 10-K submission sent by mistake must be not_ownership_form, not parsed or malformed."""
    assert _reason(_load("submission_10k.txt")) == "not_ownership_form"


def test_header_only_missing_required_field() -> None:
    """A header with no document must be missing_required_field, not an empty filing."""
    assert _reason(_load("submission_header_only.txt")) == "missing_required_field"


def test_pre_xml_text_document_unsupported() -> None:
    """A 1990s Form 4 with a free-text body and no <XML> must be unsupported_format, not empty."""
    assert _reason(_load("submission_text_only.txt")) == "unsupported_format"


def test_embedded_xml_errors_propagate() -> None:
    """Broken XML inside a submission must surface as malformed_xml, not be swallowed."""
    content = _load("submission_form4.txt").replace(b"</ownershipDocument>", b"")
    assert _reason(content) == "malformed_xml"


def test_non_utf8_submission_bad_encoding() -> None:
    """Invalid UTF-8 in a submission must be bad_encoding, not silently decoded."""
    content = _load("submission_form4.txt").replace(b"Roe Richard</rptOwnerName>", b"R\xf6e</rptOwnerName>")
    with pytest.raises(ParseError) as info:
        parse_submission(content, sha256="0" * 64)
    assert info.value.reason == "bad_encoding"


def test_pem_wrapper_is_still_a_submission() -> None:
    """A PEM-wrapped (2000s) submission must be found and parsed, not rejected as text."""
    body = _load("submission_form4.txt")
    wrapped = (
        b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----\nProc-Type: 2001,MIC-CLEAR\n\n"
        + body
        + b"-----END PRIVACY-ENHANCED MESSAGE-----\n"
    )
    assert parse(wrapped).accession_number == "0009999999-24-000123"
