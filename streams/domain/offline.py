"""The pipeline without Kafka: parse files and apply them to an in-memory ledger.

Used to check the live worker (its positions and alerts must equal these), by ``form4 replay`` and
by ``form4 positions --offline``. Same parser, same ledger, same ids (a file's name gives the accession
number the way ``form4 push`` keys its message), dicts instead of Faust tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from parsers import ParseError, TransactionEvent
from parsers.identity import accession_in_name
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.domain.records import Alert, ParsedFiling


@dataclass
class Replay:
    stores: Stores = field(default_factory=Stores)
    alerts: list[Alert] = field(default_factory=list)
    """Every alert raised or retracted, in the order of application."""
    failures: dict[str, str] = field(default_factory=dict)
    """Input name -> reason code of the inputs that did not parse."""
    errors: dict[str, ParseError] = field(default_factory=dict)
    """Input name -> the parse error itself (message, place)."""
    applied: dict[str, ParsedFiling] = field(default_factory=dict)
    """Filing id -> the copy of it the ledger applied last."""

    @property
    def active_alert_ids(self) -> set[str]:
        return {aid for aid, a in self.stores.alerts.items() if a.active}

    @property
    def standing_alerts(self) -> list[Alert]:
        """The alerts that stand once every filing is applied, by alert id."""
        return [self.stores.alerts[aid].record for aid in sorted(self.active_alert_ids)]

    def events(self) -> list[TransactionEvent]:
        """The events of every filing once, by event id: of each filing, the copy the ledger kept
        (another format of a filing the ledger replaced by a better copy is left out)."""
        out: list[TransactionEvent] = []
        for fid, pf in self.applied.items():
            meta = self.stores.filings.get(fid)
            by = meta.superseded_by if meta is not None and meta.status == "superseded" else None
            better = self.applied.get(by) if by and by != fid else None
            if better is not None and better.fingerprint == pf.fingerprint:
                continue
            out.extend(pf.events)
        return sorted(out, key=lambda e: e.event_id)


def canonical_key(name: str, raw: bytes) -> tuple[bytes, str]:
    """Where an input goes in :func:`canonical_order`: its bytes' hash, then its name."""
    return hashlib.sha256(raw).digest(), name


def canonical_order(raws: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The inputs in an order that depends on their contents (then names), not on how they were
    listed: whatever the ledger leaves to arrival order, replay decides the same way every time."""
    return sorted(raws, key=lambda item: canonical_key(*item))


def replay(raws: Iterable[tuple[str, bytes]], settings: Settings, now: datetime | None = None) -> Replay:
    """Apply named raw filings in the given order; parse failures are recorded by name.

    ``now`` stamps the alerts' ``created_at`` (default: the clock).
    """
    out = Replay()
    ledger = Ledger(out.stores, settings)
    for name, raw in raws:
        try:
            pf = parsed_filing(raw, settings, accession_in_name(name))
        except ParseError as exc:
            out.failures[name] = exc.reason
            out.errors[name] = exc
            continue
        outcome = ledger.apply_now(pf, now)
        out.alerts.extend(outcome.alerts)
        if not outcome.duplicate:
            out.applied[pf.filing_id] = pf
    return out


__all__ = ["Replay", "canonical_key", "canonical_order", "replay"]
