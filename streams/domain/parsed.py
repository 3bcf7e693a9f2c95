"""From a parsed filing to the internal ``form4.parsed_filing/1`` record: the one shape the parse
agent publishes and the ledger applies, live and offline alike."""

from __future__ import annotations

from parsers import Filing, TransactionEvent, parse, to_events
from streams.config.settings import Settings
from streams.domain.keys import issuer_key
from streams.domain.records import ParsedFiling


def to_parsed(
    filing: Filing, events: list[TransactionEvent], source_timestamp_ms: int | None = None
) -> ParsedFiling:
    """The internal record the parse agent publishes for one filing, keyed by its issuer."""
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
    )


def parsed_filing(raw: bytes, settings: Settings) -> ParsedFiling:
    """What the parse agent publishes for ``raw`` (raises ``ParseError`` like the agent would)."""
    filing = parse(raw, max_bytes=settings.max_filing_bytes)
    return to_parsed(filing, to_events(filing))


__all__ = ["parsed_filing", "to_parsed"]
