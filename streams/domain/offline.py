"""The pipeline without Kafka: parse files and apply them to an in-memory ledger.

Used to check the live worker (its positions and alerts must equal these) and by
``form4 positions --offline``. Same parser, same ledger, dicts instead of Faust tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from parsers import ParseError
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.domain.records import Alert


@dataclass
class Replay:
    stores: Stores = field(default_factory=Stores)
    alerts: list[Alert] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def active_alert_ids(self) -> set[str]:
        return {aid for aid, a in self.stores.alerts.items() if a.active}


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
