"""track_positions: applies parsed filings to the positions table and raises/retracts alerts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from functools import partial
from typing import Any

import faust
from faust.types import AgentT, Message, TopicT
from pydantic import ValidationError

from streams.adapters.acks import send_acked
from streams.config.settings import Settings
from streams.domain.ledger import Ledger
from streams.domain.records import ParsedFiling
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.poison import PoisonGuard
from streams.worker.topics import Send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackPositions:
    """The step of track_positions, with its collaborators."""

    settings: Settings
    ledger: Ledger
    positions: Sized
    """The positions store of the ledger (its size is the ``form4_positions_tracked`` gauge)."""
    send: Send
    metrics: Metrics
    clock: Callable[[], float] = time.time
    """Unix time now, for the latency histogram."""

    async def handle_parsed(self, raw: bytes, message: Message) -> None:
        """Apply one parsed filing; send its alerts; mark it done once Kafka has them."""
        s, m = self.settings, self.metrics
        where, ctx = place(message), log_context(message)
        try:
            filing = ParsedFiling.model_validate_json(raw)
        except ValidationError as exc:
            m.dead_letters.labels("decode_error").inc()
            log.error(
                "dead letter %s: not a %s record: %s",
                where,
                "form4.parsed_filing/1",
                exc,
                extra=ctx | {"reason": "decode_error"},
            )
            letter = dead_letter(raw, message, "decode_error", str(exc))
            # Acknowledged before the offset may be committed: a dead letter is never lost.
            await send_acked([self.send(s.topic_dlq, message.key, letter.to_json())])
            return
        outcome = self.ledger.apply(filing)
        ctx |= {
            "filing_id": filing.filing_id,
            "accession_number": filing.events[0].accession_number if filing.events else None,
        }
        if outcome.duplicate:
            m.filings_duplicate.labels("positions").inc()
            log.info("duplicate filing %s at %s: already applied", filing.filing_id, where, extra=ctx)
            return
        # Keyed by the alert, not the issuer: an alert's raise, retraction and re-raise stay in order.
        await send_acked(self.send(s.topic_alerts, a.subject.encode(), a.to_json()) for a in outcome.alerts)
        self.ledger.mark_done(outcome)  # only after Kafka acknowledged the alerts
        for alert in outcome.alerts:
            m.alerts_emitted.labels(alert.rule, alert.severity, alert.kind).inc()
            log.info(  # an alert is the pipeline working, not a fault: info, as the issue asks
                "%s %s %s: %s (filing %s at %s)",
                alert.kind,
                alert.rule,
                alert.severity,
                alert.summary,
                filing.filing_id,
                where,
                extra=ctx | {"alert_id": alert.alert_id, "rule": alert.rule},
            )
        m.reconciliation_breaks.inc(outcome.breaks)
        m.positions_tracked.set(len(self.positions))
        if filing.source_timestamp_ms:
            m.latency.observe(max(0.0, self.clock() - filing.source_timestamp_ms / 1000))
        if outcome.breaks:
            log.warning(
                "reconciliation: %d reported holding(s) of %s do not follow from the prior ones at %s",
                outcome.breaks,
                filing.filing_id,
                where,
                extra=ctx | {"breaks": outcome.breaks},
            )
        log.debug("applied %s at %s", filing.filing_id, where, extra=ctx)


def register(app: faust.App, source: TopicT, step: TrackPositions) -> AgentT[Any]:
    """The track_positions agent on ``app``, reading ``source`` (parsed filings)."""

    # A bug on one record: retried, then dead-lettered (processing_error); broker/disk errors stop.
    guard = PoisonGuard("positions", step.settings, step.send, step.metrics)

    @app.agent(source, concurrency=1)  # concurrency>1 can lose messages (faust #606)
    async def track_positions(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            raw, message = event.value, event.message
            await guard.run(raw, message, partial(step.handle_parsed, raw, message))

    return track_positions


__all__ = ["TrackPositions", "register"]
