"""Ownership XML parser on hand-made fixtures (tests/fixtures/filings), plus hostile inputs."""

from __future__ import annotations

import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from parsers import ParseError, parse, sniff, to_events
from parsers._values import parse_date, parse_decimal, plan_10b5_1
from parsers.models import Filing, Row
from parsers.xml import _xml_parser, parse_ownership_xml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "filings"


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _parse(name: str) -> Filing:
    return parse(_load(name))


def _reason(content: bytes, **kwargs: object) -> str:
    with pytest.raises(ParseError) as info:
        parse(content, **kwargs)  # type: ignore[arg-type]
    return info.value.reason


# --- namespaces, booleans, joint filers -----------------------------------------------------


def test_namespaced_root_parses_by_local_name() -> None:
    """A default-namespaced document must not come back empty (no issuer, no rows)."""
    filing = _parse("form4_joint_namespaced.xml")
    assert filing.source_format == "xml"
    assert filing.form_type == "4"
    assert filing.schema_version == "X0306"
    assert len(filing.rows) == 1


def test_issuer_cik_padded_and_ticker_upper_cased() -> None:
    """Issuer keys must be the 10-digit CIK and an upper-case ticker, not "320193"/"exwd"."""
    issuer = _parse("form4_joint_namespaced.xml").issuer
    assert issuer.cik == "0000320193"
    assert issuer.ticker == "EXWD"


def test_ticker_placeholder_none_becomes_null() -> None:
    """A ticker filed as "NONE" must be None, not a security called NONE."""
    assert _parse("form4_rich.xml").issuer.ticker is None


def test_zero_one_booleans() -> None:
    """0/1 booleans must map to False/True, not all to True (non-empty strings)."""
    first, second = _parse("form4_joint_namespaced.xml").owners
    assert (first.is_director, first.is_officer, first.is_ten_percent_owner) == (True, True, False)
    assert (second.is_director, second.is_ten_percent_owner) == (False, True)


def test_true_false_booleans_any_case() -> None:
    """ "TRUE"/"false" booleans must parse case-insensitively, not raise or default."""
    filing = _parse("form4_rich.xml")
    owner = filing.owners[0]
    assert owner.is_officer is True and owner.is_director is False
    assert filing.not_subject_to_section16 is False


def test_joint_filers_all_kept_with_address() -> None:
    """Every reportingOwner of a joint filing must be kept, not only the first."""
    filing = _parse("form4_joint_namespaced.xml")
    assert [o.name for o in filing.owners] == ["Doe Jane", "Doe Family Trust"]
    assert [o.cik for o in filing.owners] == ["0001234567", "0007654321"]
    first = filing.owners[0]
    assert first.address is not None and first.address.city == "Springfield"
    assert first.address.street2 is None
    assert first.officer_title == "Chief Executive Officer"
    assert filing.owners[1].address is None
    assert len(filing.signatures) == 2


def test_date_with_timezone_suffix() -> None:
    """ "2013-11-22-05:00" must read as 2013-11-22, not fail or shift a day."""
    filing = _parse("form4_joint_namespaced.xml")
    assert filing.period_of_report == date(2013, 11, 22)
    assert filing.rows[0].transaction_date == date(2013, 11, 20)


def test_amounts_with_commas_and_text_whitespace() -> None:
    """ "1,000" must be 1000 and "By   trust" collapsed, not rejected or kept ragged."""
    row = _parse("form4_joint_namespaced.xml").rows[0]
    assert row.shares == Decimal("1000")
    assert row.price_per_share == Decimal("12.50")
    assert row.direct_indirect == "I"
    assert row.nature_of_ownership == "By trust"


# --- values, footnotes, either/or fields ----------------------------------------------------


def _rows(name: str) -> tuple[Row, ...]:
    return _parse(name).rows


def test_footnote_only_price_is_none_not_zero() -> None:
    """A price given only by footnote must be None with the footnote kept, never 0."""
    row = _rows("form4_rich.xml")[0]
    assert row.price_per_share is None
    (text,) = row.footnotes["price_per_share"]
    assert "weighted average" in text


def test_coding_footnote_goes_on_transaction_code() -> None:
    """A footnote on transactionCoding must be recorded under transaction_code, not dropped."""
    row = _rows("form4_rich.xml")[0]
    assert "10b5-1" in row.footnotes["transaction_code"][0]


def test_rows_indexed_per_table_in_document_order() -> None:
    """Rows must be indexed from 0 within each table, holdings included, in filed order."""
    rows = _rows("form4_rich.xml")
    assert [(r.table, r.index, r.is_holding) for r in rows] == [
        ("non_derivative", 0, False),
        ("non_derivative", 1, False),
        ("non_derivative", 2, True),
        ("derivative", 0, False),
    ]


def test_derivative_total_value_and_underlying_value() -> None:
    """A derivative line reporting a total value must keep it, not report shares of 0/None only."""
    row = _rows("form4_rich.xml")[3]
    assert row.shares is None
    assert row.total_value == Decimal("250000")
    assert row.underlying_shares is None
    assert row.underlying_value == Decimal("250000")
    assert row.value_owned_following == Decimal("250000")
    assert row.shares_owned_following is None
    assert row.conversion_or_exercise_price is None
    assert row.exercise_date is None and "exercise_date" in row.footnotes
    assert row.expiration_date == date(2026, 3, 4)


def test_equity_swap_flag_kept_for_k() -> None:
    """equitySwapInvolved=true must surface as equity_swap=True (EDGAR's K), code unchanged."""
    row = _rows("form4_rich.xml")[3]
    assert row.transaction_code == "J"
    assert row.equity_swap is True


def test_timeliness_and_form_type_for_v() -> None:
    """An early (Form 5 type, timeliness E) line must keep both markers EDGAR turns into V."""
    row = _rows("form4_rich.xml")[1]
    assert row.transaction_code == "G"
    assert row.transaction_form_type == "5"
    assert row.timeliness == "E"


def test_holding_row_fields() -> None:
    """A holding must be is_holding with no transaction fields and no 10b5-1 verdict."""
    row = _rows("form4_rich.xml")[2]
    assert row.is_holding and row.transaction_code is None and row.shares is None
    assert row.shares_owned_following == Decimal("2000")
    assert row.plan_10b5_1 is None


# --- 10b5-1 ---------------------------------------------------------------------------------


def test_10b5_1_footnote_ties_only_its_row() -> None:
    """A 10b5-1 footnote must flag its own row (with adoption date) and not its neighbours."""
    filing = _parse("form4_rich.xml")
    assert filing.aff10b5_one is False
    plan_row, gift_row = filing.rows[0], filing.rows[1]
    assert plan_row.plan_10b5_1 is True
    assert plan_row.plan_adoption_date == date(2023, 8, 28)
    assert gift_row.plan_10b5_1 is False


def test_aff10b5one_checkbox_marks_transactions() -> None:
    """aff10b5One=1 must give plan_10b5_1=True on transactions, not None."""
    filing = _parse("form4a_amendment.xml")
    assert filing.aff10b5_one is True
    assert filing.rows[0].plan_10b5_1 is True


def test_no_checkbox_no_footnote_is_unknown() -> None:
    """A pre-2023 filing without checkbox or footnote must say None (unknown), not False."""
    assert _parse("form4_joint_namespaced.xml").rows[0].plan_10b5_1 is None


def test_plan_helper_negation_and_adoption_formats() -> None:
    """ "not pursuant to a 10b5-1 plan" must not count as a plan trade; 8/28/2013 must parse."""
    assert plan_10b5_1(None, ["These shares were not sold pursuant to a Rule 10b5-1 plan."]) == (False, None)
    assert plan_10b5_1(None, ["Sold under a 10b-5-1 trading plan adopted on 8/28/2013."]) == (
        True,
        date(2013, 8, 28),
    )
    assert plan_10b5_1(True, ["Price is a weighted average."]) == (True, None)


# --- amendments -----------------------------------------------------------------------------


def test_amendment_form_type_and_original_date() -> None:
    """A 4/A must stay 4/A with its original submission date, not be read as a new Form 4."""
    filing = _parse("form4a_amendment.xml")
    assert filing.form_type == "4/A" and filing.is_amendment
    assert filing.date_of_original_submission == date(2025, 6, 4)
    assert filing.schema_version == "X0609"


def test_original_date_without_slash_a_still_amendment() -> None:
    """documentType 4 with dateOfOriginalSubmission must be treated as an amendment, not an original."""
    content = _load("form4a_amendment.xml").replace(b"<documentType>4/A<", b"<documentType>4<")
    assert parse(content).form_type == "4/A"


# --- events ---------------------------------------------------------------------------------


def test_events_one_per_row_with_stable_ids() -> None:
    """to_events must emit one event per row, keyed by filing id/table/index."""
    filing = _parse("form4_rich.xml")
    events = to_events(filing)
    assert len(events) == 4
    assert events[3].event_id == f"{filing.filing_id}/derivative/0"
    assert b'"schema":"form4.transaction/1"' in events[0].to_json()


# --- rejections -----------------------------------------------------------------------------


def test_missing_issuer_cik_names_the_path() -> None:
    """No issuerCik must be missing_required_field at the element path, not a crash."""
    content = _load("form4_rich.xml").replace(b"<issuerCik>0000012345</issuerCik>", b"")
    with pytest.raises(ParseError) as info:
        parse(content)
    assert info.value.reason == "missing_required_field"
    assert info.value.where == "/ownershipDocument/issuer/issuerCik"


def test_missing_owner_and_document_type() -> None:
    """No reportingOwner or no documentType must be missing_required_field, not an empty filing."""
    content = _load("form4a_amendment.xml")
    start, end = content.index(b"<reportingOwner>"), content.index(b"</reportingOwner>") + 17
    assert _reason(content[:start] + content[end:]) == "missing_required_field"
    assert _reason(content.replace(b"<documentType>4/A</documentType>", b"")) == "missing_required_field"


def test_junk_number_is_malformed_with_path() -> None:
    """A non-numeric share count must be rejected with its path, never read as 0 or None."""
    content = _load("form4_rich.xml").replace(b"<value>500</value>", b"<value>five hundred</value>")
    with pytest.raises(ParseError) as info:
        parse(content)
    assert info.value.reason == "malformed_xml"
    assert info.value.where is not None and info.value.where.endswith("transactionShares/value")


def test_billion_laughs_rejected_without_expanding() -> None:
    """An entity-expansion bomb must be rejected, never expanded: a few MB at most, not gigabytes."""
    tracemalloc.start()
    try:
        assert _reason(_load("billion_laughs.xml")) == "malformed_xml"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_xxe_does_not_leak_local_files() -> None:
    """An external entity to file:///etc/passwd must be rejected and never read into a field."""
    content = _load("xxe_passwd.xml")
    with pytest.raises(ParseError) as info:
        parse(content)
    assert info.value.reason == "malformed_xml"
    assert "root:" not in str(info.value)


def test_xxe_not_resolved_even_past_the_guard() -> None:
    """The lxml parser itself must not resolve external entities (defence in depth)."""
    root = etree.fromstring(_load("xxe_passwd.xml"), _xml_parser())
    text = etree.tostring(root).decode()
    assert "root:" not in text


def test_too_large_rejected_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100 MB input must be rejected as too_large before anything looks at its content."""
    import parsers

    def must_not_run(content: bytes) -> None:
        raise AssertionError("the content was read despite the size cap")

    monkeypatch.setattr(parsers, "sniff", must_not_run)
    content = b"<ownershipDocument>" + b" " * (100 * 1024 * 1024)
    assert _reason(content, max_bytes=10 * 1024 * 1024) == "too_large"


def test_non_utf8_bytes_bad_encoding() -> None:
    """Latin-1 bytes in a UTF-8 document must be bad_encoding, not mojibake or malformed_xml."""
    content = _load("form4_rich.xml").replace(b"Roe Richard", b"Ro\xe9 Richard")
    assert _reason(content) == "bad_encoding"
    assert _reason(b"\x00\x01\x02binary\x00junk" * 50) == "bad_encoding"


def test_truncated_file_malformed() -> None:
    """A file cut in the middle must be malformed_xml, not a partial filing."""
    content = _load("form4_rich.xml")
    assert _reason(content[: len(content) // 2]) == "malformed_xml"


def test_xbrl_10k_not_ownership_form() -> None:
    """A 10-K's XBRL sent by mistake must be not_ownership_form, not malformed or empty."""
    assert sniff(_load("xbrl_10k.xml")) == "xml"
    assert _reason(_load("xbrl_10k.xml")) == "not_ownership_form"


def test_wrong_document_type_not_ownership_form() -> None:
    """An ownershipDocument claiming documentType 10-K must be not_ownership_form."""
    content = _load("form4_rich.xml").replace(b"<documentType>4<", b"<documentType>10-K<")
    assert _reason(content) == "not_ownership_form"


# --- sniffing -------------------------------------------------------------------------------


def test_sniff_formats_from_bytes() -> None:
    """Formats must be told from the bytes (an .xml name may hold HTML), not the file name."""
    assert sniff(_load("form4_rich.xml")) == "xml"
    assert sniff(_load("submission_form4.txt")) == "submission"
    assert sniff(_load("submission_dissemination.nc")) == "submission"
    assert sniff(b"<!DOCTYPE html><html><body><table></table></body></html>") == "html"
    assert sniff(b"FORM 4\nSTATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP\n") == "text"
    assert _reason(b"Dear shareholder, hello.") == "not_ownership_form"


def test_direct_call_records_source_and_hash() -> None:
    """parse_ownership_xml must carry the given hash and format, not recompute or default them."""
    filing = parse_ownership_xml(_load("form4_rich.xml"), sha256="ab" * 32, source_format="html")
    assert filing.content_sha256 == "ab" * 32
    assert filing.source_format == "html"
    assert filing.accession_number is None and filing.filed_at is None


# --- shared value helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", Decimal("1234.50")), ("$12", Decimal("12")), ("  ", None), ("(1,000)", Decimal("-1000"))],
)
def test_parse_decimal(text: str, expected: Decimal | None) -> None:
    """Amounts with separators and signs must parse exactly, blanks to None."""
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "12abc", "N/A"])
def test_parse_decimal_rejects_junk(text: str) -> None:
    """Junk and NaN/Infinity must raise, never become a number."""
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-11-22-05:00", date(2013, 11, 22)),
        ("2013-11-22", date(2013, 11, 22)),
        ("11/22/2013", date(2013, 11, 22)),
        ("November 22, 2013", date(2013, 11, 22)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    """Every date form seen in filings must parse to the same calendar day."""
    assert parse_date(text) == expected
