"""parse_filings: raw filing bytes -> typed events, or a dead letter. Never crashes on bad input."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import AgentT, Message, TopicT

from parsers import ParseError, parse, to_events
from streams.adapters.acks import send_acked
from streams.config.settings import Settings
from streams.domain.parsed import to_parsed
from streams.worker.crash import die_unacked
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.topics import Send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParseFilings:
    """The step of parse_filings, with its collaborators."""

    settings: Settings
    seen: MutableMapping[str, Any]
    """filing id -> raw offset of the filings already parsed (the ``seen`` table)."""
    send: Send
    metrics: Metrics

    async def handle_raw(self, raw: bytes, message: Message) -> None:
        """Parse one raw filing and publish its events; dead-letter it when it cannot be parsed."""
        s, m = self.settings, self.metrics
        where, ctx = place(message), log_context(message)
        try:
            filing = parse(raw, max_bytes=s.max_filing_bytes)
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
        if self.seen.get(fid) is not None:
            m.filings_duplicate.labels("parse").inc()
            log.info("duplicate filing %s at %s: already parsed", fid, where, extra=ctx | {"filing_id": fid})
            return
        events = to_events(filing)
        record = to_parsed(filing, events, int(message.timestamp * 1000) if message.timestamp else None)
        key = record.issuer_key.encode()
        records = [(s.topic_transactions, ev.to_json()) for ev in events]
        records.append((s.topic_parsed, record.to_json()))
        await send_acked(self.send(topic, key, value) for topic, value in records)
        # The 'seen' marker only after Kafka acknowledged every event: a crash in between means a
        # redelivery re-sends them (same event ids), never a filing lost.
        self.seen[fid] = message.offset
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


def register(app: faust.App, source: TopicT, step: ParseFilings) -> AgentT[Any]:
    """The parse_filings agent on ``app``, reading ``source``."""

    @app.agent(source, concurrency=1)  # concurrency>1 can lose messages (faust #606)
    async def parse_filings(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                await step.handle_raw(event.value, event.message)
            except Exception as exc:  # noqa: BLE001 - a bug, not bad input: see streams.worker.crash
                die_unacked(event.message, exc)

    return parse_filings


__all__ = ["ParseFilings", "register"]
