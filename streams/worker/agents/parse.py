"""parse_filings: raw filing bytes -> typed events, or a dead letter. Never crashes on bad input."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import faust
from faust.types import AgentT, Message, TopicT

from parsers import ParseError, to_events
from parsers.identity import copy_rank
from streams.adapters.acks import send_acked
from streams.config.settings import Settings
from streams.domain.parsed import parse_raw, to_parsed
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.poison import PoisonGuard
from streams.worker.topics import Send

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

    async def handle_raw(self, raw: bytes, message: Message) -> None:
        """Parse one raw filing and publish its events; dead-letter it when it cannot be parsed."""
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
            # Acknowledged before the offset may be committed: a dead letter is never lost.
            await send_acked([self.send(s.topic_dlq, message.key, letter.to_json())])
            return
        fid = filing.filing_id
        copy_key = f"fingerprint:{filing.fingerprint}"
        rank = copy_rank(filing.accession_number, filing.issuer.cik)
        best, distinct = self._best_copy(copy_key, fid, filing.accession_number)
        if (best is None and self.seen.get(fid) is not None) or (best is not None and rank <= best[1]):
            m.filings_duplicate.labels("parse").inc()
            also = f" as {best[0]}" if best is not None and best[0] != fid else ""
            log.info(
                "duplicate filing %s at %s: already parsed%s",
                fid,
                where,
                also,
                extra=ctx | {"filing_id": fid},
            )
            return
        events = to_events(filing)
        record = to_parsed(filing, events, int(message.timestamp * 1000) if message.timestamp else None)
        key = record.issuer_key.encode()
        # A better copy of a filing already parsed (its complete submission after its bare XML):
        # consumers have its events already, so only the ledger hears of it, to keep the better copy.
        records = [] if best is not None else [(s.topic_transactions, ev.to_json()) for ev in events]
        records.append((s.topic_parsed, record.to_json()))
        await send_acked(self.send(topic, key, value) for topic, value in records)
        # The 'seen' markers only after Kafka acknowledged every event: a crash in between means a
        # redelivery re-sends them (same event ids), never a filing lost.
        self.seen[fid] = message.offset
        if not distinct:
            self.seen[copy_key] = [fid, rank]
        if best is not None:
            m.filings_duplicate.labels("parse").inc()
            log.info("better copy %s of filing %s at %s", fid, best[0], where, extra=ctx | {"filing_id": fid})
            return
        m.filings_parsed.labels(filing.source_format).inc()
        m.events_emitted.inc(len(events))
        log.info(
            "parsed %s (%s, %d events) at %s",
            fid,
            filing.form_type,
            len(events),
            where,
            extra=ctx | {"filing_id": fid, "accession_number": filing.accession_number},
        )

    def _best_copy(
        self, copy_key: str, fid: str, accession: str | None
    ) -> tuple[tuple[str, int] | None, bool]:
        """The id and rank of the best copy of this content parsed so far, and whether ``fid`` is a
        distinct filing all the same (two EDGAR accession numbers with one content are two filings)."""
        best = self.seen.get(copy_key)
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
        async for event in stream.events():
            raw, message = event.value, event.message
            await guard.run(raw, message, partial(step.handle_raw, raw, message))

    return parse_filings


__all__ = ["ParseFilings", "register"]
