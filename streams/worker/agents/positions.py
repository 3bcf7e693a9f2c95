"""track_positions: applies parsed filings to the positions table and raises/retracts alerts."""

from __future__ import annotations

import logging
import time

import faust
from pydantic import ValidationError

from streams.config.settings import get_settings
from streams.domain.ledger import Ledger
from streams.domain.records import ParsedFiling
from streams.worker.agents.parse import dead_letter
from streams.worker.app import app
from streams.worker.crash import die_unacked
from streams.worker.metrics import (
    alerts_emitted,
    dead_letters,
    filings_duplicate,
    latency,
    positions_tracked,
    reconciliation_breaks,
)
from streams.worker.tables import ledger_stores
from streams.worker.topics import alerts, parsed_filings
from streams.worker.topics import dead_letters as dlq_topic

log = logging.getLogger(__name__)
ledger = Ledger(ledger_stores, get_settings())


async def handle_parsed(raw: bytes, message: faust.types.Message) -> None:
    """Apply one parsed filing; send its alerts; mark it done once Kafka has them."""
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    ctx: dict[str, object] = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }
    try:
        filing = ParsedFiling.model_validate_json(raw)
    except ValidationError as exc:
        dead_letters.labels("decode_error").inc()
        log.error(
            "dead letter %s: not a %s record: %s",
            where,
            "form4.parsed_filing/1",
            exc,
            extra=ctx | {"reason": "decode_error"},
        )
        await dlq_topic.send(
            key=message.key, value=dead_letter(raw, message, "decode_error", str(exc)).to_json()
        )
        return
    outcome = ledger.apply(filing)
    ctx |= {
        "filing_id": filing.filing_id,
        "accession_number": filing.events[0].accession_number if filing.events else None,
    }
    if outcome.duplicate:
        filings_duplicate.labels("positions").inc()
        log.info("duplicate filing %s at %s: already applied", filing.filing_id, where, extra=ctx)
        return
    pending = [await alerts.send(key=filing.issuer_key.encode(), value=a.to_json()) for a in outcome.alerts]
    for fut in pending:
        await fut
    ledger.mark_done(outcome)  # only after Kafka acknowledged the alerts
    for alert in outcome.alerts:
        alerts_emitted.labels(alert.rule, alert.severity, alert.kind).inc()
        log.warning(
            "%s %s %s: %s (filing %s at %s)",
            alert.kind,
            alert.rule,
            alert.severity,
            alert.summary,
            filing.filing_id,
            where,
            extra=ctx | {"alert_id": alert.alert_id, "rule": alert.rule},
        )
    reconciliation_breaks.inc(outcome.breaks)
    positions_tracked.set(len(ledger_stores.positions))
    if filing.source_timestamp_ms:
        latency.observe(max(0.0, time.time() - filing.source_timestamp_ms / 1000))
    if outcome.breaks:
        log.warning(
            "reconciliation: %d reported holding(s) of %s do not follow from the prior ones at %s",
            outcome.breaks,
            filing.filing_id,
            where,
            extra=ctx | {"breaks": outcome.breaks},
        )
    log.debug("applied %s at %s", filing.filing_id, where, extra=ctx)


@app.agent(parsed_filings, concurrency=1)
async def track_positions(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        try:
            await handle_parsed(event.value, event.message)
        except Exception as exc:  # noqa: BLE001 - a bug, not bad input: see streams.worker.crash
            die_unacked(event.message, exc)
