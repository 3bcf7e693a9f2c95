"""parse_filings: raw filing bytes -> typed events, or a dead letter. Never crashes on bad input.

Records are handled a batch at a time (:mod:`streams.worker.batch`): the events, parsed records and
dead letters of a batch are acknowledged together, and only then are its ``seen`` markers written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import faust
from faust.types import AgentT, EventT, Message, TopicT

from parsers import ParseError, to_events
from parsers.deadlines import filing_day
from parsers.identity import copy_rank
from streams.config.settings import Settings
from streams.domain.parsed import parse_raw, to_parsed
from streams.worker.batch import BatchState, Handoff, Outbox, acked_only_if_done, settle_and_write
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.poison import PoisonGuard
from streams.worker.rewind import Rewinds
from streams.worker.topics import Hurry, Send
from streams.worker.watchdog import Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParseFilings:
    """The step of parse_filings, with its collaborators."""

    settings: Settings
    seen: MutableMapping[str, Any]
    """The ``seen`` table: filing id -> raw offset of the filings already parsed, and
    ``fingerprint:<content fingerprint>`` -> ``[filing id, copy rank]`` of the best copy of each filing
    parsed so far (one filing in several formats is one filing)."""
    send: Send
    metrics: Metrics
    hurry: Hurry | None = None
    """Has the producer send a batch's records as soon as the batch is made (not after its linger)."""
    handoff: Handoff | None = None
    """Where the records this worker publishes wait for its own track_positions (no JSON round trip)."""
    progress: Progress = field(default_factory=Progress)
    """Records handled, for the stall watchdog (one shared by the worker's agents)."""
    rewinds: Rewinds | None = None
    """Backfill records set aside while a live filing waits, fetched again later."""
    state: BatchState = field(init=False)
    """The batch's view of ``seen``: markers reach the table only once the batch is acknowledged."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", BatchState.over(seen=self.seen))

    async def handle_batch(self, events: Sequence[EventT[bytes]], guard: PoisonGuard) -> None:
        """Handle a batch of raw filings: one acknowledgement wait, then the markers, each once."""
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
        await self._commit(outbox, guard, events[-1].message if events else None)
        self.progress.bump(len(events))
        if events and outbox.tally:
            first, last = events[0].message, events[-1].message
            # One line per batch, not per filing (issue 12); per filing at debug.
            log.info(
                "parsed batch of %d from %s: %s",
                len(events),
                place(first),
                outbox.summary(),
                extra=log_context(last) | dict(outbox.tally),
            )

    async def handle_raw(self, raw: bytes, message: Message) -> None:
        """A batch of one record, without the poison guard: raises what the handler raises."""
        outbox = Outbox(self.send, self.hurry)
        with self.state.handling(None):
            await self._handle(raw, message, outbox)
        await settle_and_write(outbox, self.state)

    async def _commit(self, outbox: Outbox, guard: PoisonGuard, last: Message | None) -> None:
        try:
            await settle_and_write(outbox, self.state)
        except Exception as exc:  # noqa: BLE001 - an acknowledgement failed: the broker, not a record
            if last is not None:
                guard.die(last, exc)

    @property
    def _seen(self) -> MutableMapping[str, Any]:
        return self.state.views["seen"]

    async def _handle(self, raw: bytes, message: Message, outbox: Outbox) -> None:
        """Parse one raw filing and queue its events; dead-letter it when it cannot be parsed."""
        s, m = self.settings, self.metrics
        where, ctx = place(message), log_context(message)
        try:
            # The key is the accession number its producer found outside the bytes (a file name, an
            # EDGAR URL, POST /filings?accession=): it identifies a bare XML that carries none.
            filing = parse_raw(raw, s, message.key.decode("ascii", "replace") if message.key else None)
        except ParseError as exc:
            m.dead_letters.labels(exc.reason).inc()
            log.warning(
                "dead letter %s key=%r: %s", where, message.key, exc, extra=ctx | {"reason": exc.reason}
            )
            letter = dead_letter(raw, message, exc.reason, exc.message, exc.where)
            # Acknowledged with the batch, before its offsets may be committed: never lost.
            await outbox.put(s.topic_dlq, message.key, letter.to_json())
            outbox.tally["dead_letters"] += 1
            return
        fid = filing.filing_id
        fingerprint = filing.fingerprint  # a hash of the whole filing: computed once
        copy_key = f"fingerprint:{fingerprint}"
        rank = copy_rank(
            filing.accession_number, filing.issuer.cik, filing_day(filing.filing_date, filing.filed_at)
        )
        best, distinct = self._best_copy(copy_key, fid, filing.accession_number)
        if (best is None and self._seen.get(fid) is not None) or (best is not None and rank <= best[1]):
            m.filings_duplicate.labels("parse").inc()
            also = f" as {best[0]}" if best is not None and best[0] != fid else ""
            log.info(
                "duplicate filing %s at %s: already parsed%s",
                fid,
                where,
                also,
                extra=ctx | {"filing_id": fid},
            )
            outbox.tally["duplicates"] += 1
            return
        events = to_events(filing)
        stamp = int(message.timestamp * 1000) if message.timestamp else None
        record = to_parsed(filing, events, stamp, fingerprint=fingerprint)
        key = record.issuer_key.encode()
        # A better copy of a filing already parsed (its complete submission after its bare XML):
        # consumers have its events already, so only the ledger hears of it, to keep the better copy.
        if best is None:
            for ev in events:
                await outbox.put(s.topic_transactions, key, ev.to_json())
        # A backfill filing stays in the backfill lane, so live filings overtake it in the ledger too.
        lane = s.topic_parsed_backfill if message.topic == s.topic_backfill else s.topic_parsed
        value = record.to_json()
        await outbox.put(lane, key, value)
        if self.handoff is not None:
            self.handoff.put(value, record)
        # The 'seen' markers reach the table only after Kafka acknowledged the whole batch: a crash in
        # between means a redelivery re-sends them (same event ids), never a filing lost.
        self._seen[fid] = message.offset
        if not distinct:
            self._seen[copy_key] = [fid, rank]
        if best is not None:
            m.filings_duplicate.labels("parse").inc()
            log.info("better copy %s of filing %s at %s", fid, best[0], where, extra=ctx | {"filing_id": fid})
            outbox.tally["better_copies"] += 1
            return
        source_format, n_events = filing.source_format, len(events)

        def parsed() -> None:
            m.filings_parsed.labels(source_format).inc()
            m.events_emitted.inc(n_events)
            # Debug: a line per filing at info costs a backfill more than the ledger does (issue 12);
            # the metrics count them, and `form4 lag` shows progress.
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "parsed %s (%s, %d events) at %s",
                    fid,
                    filing.form_type,
                    n_events,
                    where,
                    extra=ctx | {"filing_id": fid, "accession_number": filing.accession_number},
                )

        outbox.then(parsed)
        outbox.tally["parsed"] += 1
        outbox.tally["events"] += n_events

    def _best_copy(
        self, copy_key: str, fid: str, accession: str | None
    ) -> tuple[tuple[str, int] | None, bool]:
        """The id and rank of the best copy of this content parsed so far, and whether ``fid`` is a
        distinct filing all the same (two EDGAR accession numbers with one content are two filings)."""
        best = self._seen.get(copy_key)
        if best is None:
            return None, False
        other, rank = str(best[0]), int(best[1])
        if other != fid and accession and not other.startswith("sha256-"):
            return None, True
        return (other, rank), False


def register(app: faust.App, source: TopicT, step: ParseFilings) -> AgentT[Any]:
    """The parse_filings agent on ``app``, reading ``source``."""

    # A bug on one record: retried, then dead-lettered (processing_error); broker/disk errors stop.
    guard = PoisonGuard("parse", step.settings, step.send, step.metrics)

    @app.agent(source, concurrency=1)  # concurrency>1 can lose messages (faust #606)
    async def parse_filings(stream: faust.StreamT[bytes]) -> None:
        s = step.settings
        # Faust acknowledges a batch's events once this body returns for it: after its records were
        # acknowledged and its markers written. A failed acknowledgement exits unacknowledged.
        batches = cast(faust.Stream[bytes], stream).take_events  # on faust.Stream, not the StreamT protocol
        async for events in batches(s.batch_max_records, within=s.batch_wait_seconds):
            with acked_only_if_done(app.consumer, events):  # a stop mid-batch commits none of it
                await step.handle_batch(events, guard)

    return parse_filings


__all__ = ["ParseFilings", "register"]
