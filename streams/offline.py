"""The pipeline without Kafka: parse files and apply them to an in-memory ledger.

Used to check the live worker (its positions and alerts must equal these) and by
``form4 positions --offline``. Same parser, same ledger, dicts instead of Faust tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from parsers import Filing, ParseError, TransactionEvent, parse, to_events
from streams.keys import issuer_key
from streams.ledger import Ledger, Stores
from streams.records import Alert, ParsedFiling
from streams.settings import Settings


def to_parsed(filing: Filing, events: list[TransactionEvent], source_timestamp_ms: int | None = None) -> ParsedFiling:
    """The internal record the parse agent publishes for one filing, keyed by its issuer."""
    key = issuer_key(events[0]) if events else filing.issuer.cik or filing.filing_id
    return ParsedFiling(
        filing_id=filing.filing_id, issuer_key=key, form_type=filing.form_type,
        period_of_report=filing.period_of_report, date_of_original_submission=filing.date_of_original_submission,
        filing_date=filing.filing_date, filed_at=filing.filed_at, source_timestamp_ms=source_timestamp_ms,
        events=tuple(events),
    )


def parsed_filing(raw: bytes, settings: Settings) -> ParsedFiling:
    """What the parse agent publishes for ``raw`` (raises ``ParseError`` like the agent would)."""
    filing = parse(raw, max_bytes=settings.max_filing_bytes)
    return to_parsed(filing, to_events(filing))


@dataclass
class Replay:
    stores: Stores = field(default_factory=Stores)
    alerts: list[Alert] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def active_alert_ids(self) -> set[str]:
        return {aid for aid, a in self.stores.alerts.items() if a.get("active")}


def replay(raws: Iterable[tuple[str, bytes]], settings: Settings) -> Replay:
    """Apply named raw filings in the given order; parse failures are recorded by name."""
    out = Replay()
    ledger = Ledger(out.stores, settings)
    for name, raw in raws:
        try:
            pf = parsed_filing(raw, settings)
        except ParseError as exc:
            out.failures[name] = exc.reason
            continue
        out.alerts.extend(ledger.apply_now(pf).alerts)
    return out
