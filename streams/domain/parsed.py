"""From a parsed filing to the internal ``form4.parsed_filing/1`` record: the one shape the parse
agent publishes and the ledger applies, live and offline alike."""

from __future__ import annotations

from parsers import Filing, TransactionEvent, parse, to_events
from streams.config.settings import Settings
from streams.domain.keys import issuer_key
from streams.domain.records import ParsedFiling


def to_parsed(
    filing: Filing,
    events: list[TransactionEvent],
    source_timestamp_ms: int | None = None,
    *,
    fingerprint: str | None = None,
) -> ParsedFiling:
    """The internal record the parse agent publishes for one filing, keyed by its issuer.

    ``fingerprint``: ``filing.fingerprint`` when the caller has it already (it hashes the whole filing).
    """
    key = issuer_key(events[0]) if events else filing.issuer.cik or filing.filing_id
    return ParsedFiling(
        filing_id=filing.filing_id,
        issuer_key=key,
        form_type=filing.form_type,
        period_of_report=filing.period_of_report,
        date_of_original_submission=filing.date_of_original_submission,
        filing_date=filing.filing_date,
        filed_at=filing.filed_at,
        source_timestamp_ms=source_timestamp_ms,
        events=tuple(events),
        fingerprint=fingerprint if fingerprint is not None else filing.fingerprint,
        remarks=filing.remarks,
    )


def parse_raw(raw: bytes, settings: Settings, accession: str | None = None) -> Filing:
    """Parse ``raw`` as the parse agent does: ``accession`` is the one its producer found outside the
    bytes (the Kafka key: a file name, an EDGAR URL, ``POST /filings?accession=``), used when the
    document carries none. Raises ``ParseError``."""
    return parse(raw, max_bytes=settings.max_filing_bytes).with_accession(accession)


def parsed_filing(raw: bytes, settings: Settings, accession: str | None = None) -> ParsedFiling:
    """What the parse agent publishes for ``raw`` (raises ``ParseError`` like the agent would)."""
    filing = parse_raw(raw, settings, accession)
    return to_parsed(filing, to_events(filing))


__all__ = ["parse_raw", "parsed_filing", "to_parsed"]
