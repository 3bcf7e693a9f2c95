"""A poison pill on each stage is retried, dead-lettered (processing_error) and passed; the worker lives on.

Parse: a Kafka tombstone (no value) on the raw topic makes the parse handler raise (not a parse error).
Positions: a ``form4.parsed_filing/1`` record written straight to the parsed topic with a share count
the parser would refuse (``1e1000000``) makes the ledger overflow. Webhooks: an alert whose ``ticker``
is a number makes the subscriber's filter raise. Valid filings before and after each pill go through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest_asyncio
from aiohttp import web
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from parsers import parse, to_events
from streams.config.subscribers import WebhookSubscriber
from streams.domain.parsed import to_parsed
from tests.support.contracts import validate_all
from tests.support.hook_server import start_hook_server
from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

FIRST = ceo_sale_xml(owner_cik="0001000001", day="2024-03-04")
SECOND = ceo_sale_xml(owner_cik="0001000002", day="2024-03-05")


def overflowing_parsed_filing() -> tuple[bytes, bytes]:
    """(key, value) of a parsed-filing record whose sale of 1e1000000 shares overflows Decimal."""
    filing = parse(ceo_sale_xml(owner_cik="0001000003", day="2024-03-06"))
    record = to_parsed(filing, to_events(filing))
    events = tuple(e.model_copy(update={"shares": Decimal("1e1000000")}) for e in record.events)
    return record.issuer_key.encode(), record.model_copy(update={"events": events}).to_json()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[str, list[str]]]:
    """A webhook endpoint that accepts everything; yields its URL and the alert ids it received."""
    received: list[str] = []
    runners: list[web.AppRunner] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(str(orjson.loads(await request.read())["alert_id"]))
        return web.Response(status=200, text="ok")

    url = await start_hook_server(handle, runners)
    yield url, received
    for runner in runners:
        await runner.cleanup()


async def _produce(bootstrap: list[str], records: list[tuple[str, bytes | None, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic, key, value in records:
            await (await producer.send(topic, value, key=key))
    finally:
        await producer.stop()


async def test_a_poison_pill_on_every_stage_is_dead_lettered_and_the_valid_filings_go_through(
    kafka_bootstrap: str, tmp_path: Path, receiver: tuple[str, list[str]]
) -> None:
    url, received = receiver
    worker = WorkerProcess.create(
        kafka_bootstrap,
        tmp_path,
        partitions=1,  # one partition per topic: every pill sits in front of the filings after it
        max_record_attempts=2,
        webhooks=(WebhookSubscriber(url=url, secret=SecretStr("s"), ticker=("ACME",), name="acme"),),
        webhook_backoff_seconds=0.05,
    )
    s = worker.settings
    worker.start()
    try:
        await _produce(s.bootstrap_servers, [(s.topic_raw, b"first", FIRST)])
        await worker.drained()
        key, poison = overflowing_parsed_filing()
        await _produce(
            s.bootstrap_servers,
            [
                (s.topic_raw, b"tombstone", None),
                (s.topic_parsed, key, poison),
                (s.topic_alerts, b"0001234567", orjson.dumps({"alert_id": "pill", "ticker": 123})),
                (s.topic_raw, b"second", SECOND),
            ],
        )
        await worker.drained()
        letters: list[dict[str, object]] = []
        alerts: list[dict[str, object]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            letters = await worker.records(s.topic_dlq)
            alerts = await worker.records(s.topic_alerts)
            ids = {str(a["alert_id"]) for a in alerts if a["alert_id"] != "pill"}
            if len(letters) >= 3 and len(ids) == 2 and ids <= set(received):
                break
            await asyncio.sleep(0.5)
        assert worker.proc is not None and worker.proc.poll() is None, worker.log_tail()
        assert worker.starts == 1
        health = worker.get("/health")
        assert health[0] == 200, health
    finally:
        worker.stop()

    log = worker.logs[-1].read_text(errors="replace")
    # Each pill: one dead letter naming its stage and exception, with its original bytes.
    by_stage = {str(d["stage"]): d for d in letters}
    assert sorted(by_stage) == ["parse", "positions", "webhooks"], (letters, log[-6000:])
    assert all(d["reason"] == "processing_error" and d["attempts"] == 2 for d in letters)
    validate_all("dead_letter", letters)
    assert by_stage["positions"]["exception"] == "decimal.Overflow"
    assert by_stage["webhooks"]["exception"] == "AttributeError"
    assert by_stage["parse"]["source_key"] == "tombstone"
    # The valid filings on both sides of the pills were parsed, applied and their alerts delivered.
    real = [a for a in alerts if a["alert_id"] != "pill"]
    assert len(real) == 2 and {a["alert_id"] for a in real} <= set(received), log[-6000:]
    assert "Traceback" not in log.split("failed on", 1)[0]  # nothing crashed before the first pill
    assert "exiting so the message is redelivered" not in log
