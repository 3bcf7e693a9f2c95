"""parse_filings: raw filing bytes -> typed events, or a dead letter. Never crashes on bad input."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import faust

from parsers import ParseError, parse, to_events
from streams.config.settings import get_settings
from streams.domain.parsed import to_parsed
from streams.domain.records import DeadLetter
from streams.worker.app import app
from streams.worker.crash import die_unacked
from streams.worker.metrics import dead_letters, events_emitted, filings_duplicate, filings_parsed
from streams.worker.tables import seen
from streams.worker.topics import dead_letters as dlq_topic
from streams.worker.topics import parsed_filings, raw_filings, transactions

log = logging.getLogger(__name__)
_settings = get_settings()


def dead_letter(
    raw: bytes, message: faust.types.Message, reason: str, error: str, where: str | None = None
) -> DeadLetter:
    key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else message.key
    return DeadLetter(
        reason=reason,
        error=error,
        where=where,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
        source_key=key,
        original_b64=DeadLetter.encode_original(raw),
        original_size=len(raw),
        failed_at=datetime.now(UTC),
    )


async def handle_raw(raw: bytes, message: faust.types.Message) -> None:
    """Parse one raw filing and publish its events; dead-letter it when it cannot be parsed."""
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    # The same place as fields of JSON log lines (streams/logs.py); text logs keep "where" in the message.
    ctx: dict[str, object] = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }
    try:
        filing = parse(raw, max_bytes=_settings.max_filing_bytes)
    except ParseError as exc:
        dead_letters.labels(exc.reason).inc()
        log.warning("dead letter %s key=%r: %s", where, message.key, exc, extra=ctx | {"reason": exc.reason})
        await dlq_topic.send(
            key=message.key, value=dead_letter(raw, message, exc.reason, exc.message, exc.where).to_json()
        )
        return
    fid = filing.filing_id
    if seen.get(fid) is not None:
        filings_duplicate.labels("parse").inc()
        log.info("duplicate filing %s at %s: already parsed", fid, where, extra=ctx | {"filing_id": fid})
        return
    events = to_events(filing)
    record = to_parsed(filing, events, int(message.timestamp * 1000) if message.timestamp else None)
    key = record.issuer_key.encode()
    pending = [await transactions.send(key=key, value=ev.to_json()) for ev in events]
    pending.append(await parsed_filings.send(key=key, value=record.to_json()))
    # The 'seen' marker only after Kafka acknowledged every event: a crash in between means a
    # redelivery re-sends them (same event ids), never a filing lost.
    for fut in pending:
        await fut
    seen[fid] = message.offset
    filings_parsed.labels(filing.source_format).inc()
    events_emitted.inc(len(events))
    log.info(
        "parsed %s (%s, %d events) at %s",
        fid,
        filing.form_type,
        len(events),
        where,
        extra=ctx | {"filing_id": fid, "accession_number": filing.accession_number},
    )


@app.agent(raw_filings, concurrency=1)  # concurrency>1 can lose messages (faust #606)
async def parse_filings(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        try:
            await handle_raw(event.value, event.message)
        except Exception as exc:  # noqa: BLE001 - a bug, not bad input: see streams.worker.crash
            die_unacked(event.message, exc)
