"""track_positions: applies parsed filings to the positions table and raises/retracts alerts.

Records are handled a batch at a time (:mod:`streams.worker.batch`): the ledger applies each filing to
a write-back view of its tables, the batch's alerts are acknowledged together, and only then does each
changed key (positions, filings with their done markers, alerts...) reach its table, once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import faust
from faust.types import AgentT, EventT, Message, TopicT
from pydantic import ValidationError

from streams.config.settings import Settings
from streams.domain.ledger import Ledger
from streams.domain.records import Alert, ParsedFiling
from streams.worker.batch import (
    Assigned,
    Barrier,
    BatchState,
    Handoff,
    Outbox,
    acked_only_if_done,
    settle_and_write,
)
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.poison import PoisonGuard
from streams.worker.rewind import Rewinds
from streams.worker.tables import cheap_len
from streams.worker.topics import Hurry, Send
from streams.worker.watchdog import Progress

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
    hurry: Hurry | None = None
    """Has the producer send a batch's records as soon as the batch is made (not after its linger)."""
    clock: Callable[[], float] = time.time
    """Unix time now, for the latency histogram."""
    handoff: Handoff | None = None
    """Records parse_filings of this worker just published: taken as objects, not validated again."""
    progress: Progress = field(default_factory=Progress)
    """Records handled, for the stall watchdog (one shared by the worker's agents)."""
    rewinds: Rewinds | None = None
    """Backfill records set aside while a live filing waits, fetched again later."""
    barrier: Barrier | None = None
    """Waits until Kafka has every state record of a batch, before its done markers are written (the
    worker: its producer's flush; see streams/worker/batch.py)."""
    assigned: Assigned | None = None
    """The partitions the worker owns now: a batch's writes for one revoked meanwhile are dropped."""
    state: BatchState = field(init=False)
    """Write-back views of the ledger's stores: one write per changed key per batch, after the acks."""
    batch_ledger: Ledger = field(init=False)
    """``ledger``'s rules over :attr:`state`."""

    def __post_init__(self) -> None:
        state = BatchState.over_stores(self.ledger.s)
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "batch_ledger", Ledger(state.stores(), self.ledger.settings))
        # Read when /metrics is scraped, not per filing; on disk an estimate (len() reads every key).
        self.metrics.positions_tracked.set_function(lambda: cheap_len(self.positions))

    async def handle_batch(self, events: Sequence[EventT[bytes]], guard: PoisonGuard) -> None:
        """Apply a batch of parsed filings: one acknowledgement wait for its alerts, then its state."""
        outbox = Outbox(self.send, self.hurry)
        rewinds = self.rewinds
        for event in events:
            if rewinds is not None and rewinds.set_aside(event):
                outbox.tally["set_aside"] += 1  # a backfill record while a live one waits: read again later
                continue
            raw, message = event.value, event.message
            with self.state.handling(event):
                await guard.run(raw, message, partial(self._handle, raw, message, outbox))
            # Between filings, the lanes check and Faust's fetch loop run: a live record is seen.
            await asyncio.sleep(0)
        if rewinds is not None:
            await rewinds.rewind()
        try:
            await settle_and_write(outbox, self.state, self.barrier, self.assigned)
        except Exception as exc:  # noqa: BLE001 - an acknowledgement failed: the broker, not a record
            if events:
                guard.die(events[-1].message, exc)
            return
        self.progress.bump(len(events))
        if events and outbox.tally:
            # One line per batch, not per filing (issue 12); per filing at debug.
            log.info(
                "applied batch of %d from %s: %s",
                len(events),
                place(events[0].message),
                outbox.summary(),
                extra=log_context(events[-1].message) | dict(outbox.tally),
            )

    async def handle_parsed(self, raw: bytes, message: Message) -> None:
        """A batch of one record, without the poison guard: raises what the handler raises."""
        outbox = Outbox(self.send, self.hurry)
        with self.state.handling(None):
            await self._handle(raw, message, outbox)
        await settle_and_write(outbox, self.state, self.barrier, self.assigned)

    async def _handle(self, raw: bytes, message: Message, outbox: Outbox) -> None:
        """Apply one parsed filing and queue its alerts; its done marker waits in the batch's state."""
        s, m = self.settings, self.metrics
        where, ctx = place(message), log_context(message)
        try:
            handed = self.handoff.take(raw) if self.handoff is not None else None
            filing = handed if handed is not None else ParsedFiling.model_validate_json(raw)
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
            # Acknowledged with the batch, before its offsets may be committed: never lost.
            await outbox.put(s.topic_dlq, message.key, letter.to_json())
            outbox.tally["dead_letters"] += 1
            return
        ledger = self.batch_ledger
        outcome = ledger.apply(filing)
        ctx |= {
            "filing_id": filing.filing_id,
            "accession_number": filing.events[0].accession_number if filing.events else None,
        }
        if outcome.duplicate:
            m.filings_duplicate.labels("positions").inc()
            log.info("duplicate filing %s at %s: already applied", filing.filing_id, where, extra=ctx)
            outbox.tally["duplicates"] += 1
            return
        # Keyed by the alert, not the issuer: an alert's raise, retraction and re-raise stay in order.
        for alert in outcome.alerts:
            await outbox.put(s.topic_alerts, alert.subject.encode(), alert.to_json())
        # Into the batch's state: it reaches the table only after Kafka acknowledged the batch's alerts.
        ledger.mark_done(outcome)
        outbox.tally["applied"] += 1
        outbox.tally["alerts"] += len(outcome.alerts)
        # Counted and logged once Kafka has the batch's alerts (latency: up to that acknowledgement).
        outbox.then(partial(self._applied, filing, outcome.alerts, outcome.breaks, where, ctx))

    def _applied(
        self, filing: ParsedFiling, alerts: list[Alert], breaks: int, where: str, ctx: dict[str, Any]
    ) -> None:
        m = self.metrics
        for alert in alerts:
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
        m.reconciliation_breaks.inc(breaks)
        if filing.source_timestamp_ms:
            m.latency.observe(max(0.0, self.clock() - filing.source_timestamp_ms / 1000))
        if breaks:
            log.warning(
                "reconciliation: %d reported holding(s) of %s do not follow from the prior ones at %s",
                breaks,
                filing.filing_id,
                where,
                extra=ctx | {"breaks": breaks},
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("applied %s at %s", filing.filing_id, where, extra=ctx)


def register(app: faust.App, source: TopicT, step: TrackPositions) -> AgentT[Any]:
    """The track_positions agent on ``app``, reading ``source`` (parsed filings)."""

    # A bug on one record: retried, then dead-lettered (processing_error); broker/disk errors stop.
    guard = PoisonGuard("positions", step.settings, step.send, step.metrics)

    @app.agent(source, concurrency=1)  # concurrency>1 can lose messages (faust #606)
    async def track_positions(stream: faust.StreamT[bytes]) -> None:
        s = step.settings
        # Faust acknowledges a batch's events once this body returns for it: after its alerts were
        # acknowledged and its state written. A failed acknowledgement exits unacknowledged.
        batches = cast(faust.Stream[bytes], stream).take_events  # on faust.Stream, not the StreamT protocol
        async for events in batches(s.batch_max_records, within=s.batch_wait_seconds):
            with acked_only_if_done(app.consumer, events):  # a stop mid-batch commits none of it
                await step.handle_batch(events, guard)

    return track_positions


__all__ = ["TrackPositions", "register"]
