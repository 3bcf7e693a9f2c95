"""Webhooks from a real worker: retried through failures and a timeout, or dead-lettered, never lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest_asyncio
from aiohttp import web

from streams.adapters.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature
from streams.config.subscribers import WebhookSubscriber
from tests.support.contracts import validate
from tests.support.hook_server import start_hook_server
from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

TIMEOUT = 1.0  # the worker's webhook_timeout_seconds in this test


@dataclass
class Receiver:
    """A webhook endpoint that plays ``script`` ("500" or "timeout") first, then answers 200."""

    secret: str
    script: list[str]
    url: str = ""
    requests: int = 0
    accepted: list[tuple[str, bytes, str]] = field(default_factory=list)
    """(Form4-Event-Id, body, Form4-Signature) of each request answered 200."""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        step = self.script.pop(0) if self.script else "ok"
        if step == "timeout":
            await asyncio.sleep(TIMEOUT * 3)  # the sender gave up long before this answer
            return web.Response(status=503)
        if step != "ok":
            return web.Response(status=int(step))
        self.accepted.append((request.headers[EVENT_ID_HEADER], body, request.headers[SIGNATURE_HEADER]))
        return web.Response(status=200, text="ok")


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[object]:
    runners: list[web.AppRunner] = []

    async def start(receiver: Receiver) -> Receiver:
        receiver.url = await start_hook_server(receiver.handle, runners)
        return receiver

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_alerts_reach_a_flaky_receiver_and_a_dead_one_dead_letters(
    kafka_bootstrap: str, tmp_path: Path, serve: object
) -> None:
    """Failures and a timeout are retried until delivered, signed.

    A receiver that never accepts ends on the DLQ.
    """
    flaky = await serve(Receiver("flaky-secret", ["500", "500", "timeout"]))  # type: ignore[operator]
    dead = await serve(Receiver("dead-secret", ["500"] * 100))  # type: ignore[operator]
    worker = WorkerProcess.create(
        kafka_bootstrap,
        tmp_path,
        webhooks=(
            WebhookSubscriber(url=flaky.url, secret="flaky-secret"),
            WebhookSubscriber(url=dead.url, secret="dead-secret", ticker=("ACME",), name="dead"),
        ),
        webhook_max_attempts=6,
        webhook_backoff_seconds=0.05,
        webhook_backoff_cap_seconds=0.2,
        webhook_timeout_seconds=TIMEOUT,
    )
    worker.start()
    try:
        await worker.push(
            [
                (b"acme", ceo_sale_xml(ticker="ACME")),
                (b"xyz", ceo_sale_xml(ticker="XYZ", issuer_cik="0000000777", owner_cik="0001000777")),
            ]
        )
        await worker.drained()
        alerts = await worker.records(worker.settings.topic_alerts)
        assert len(alerts) == 2, worker.log_tail()
        letters: list[dict[str, object]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            letters = await worker.records(worker.settings.topic_webhook_dlq)
            if letters and len({a for a, _, _ in flaky.accepted}) == len(alerts):
                break
            await asyncio.sleep(0.5)
    finally:
        worker.stop()

    # The flaky receiver got exactly the alerts, each signed, byte-identical to the topic's record.
    assert sorted({a for a, _, _ in flaky.accepted}) == sorted(a["alert_id"] for a in alerts), (
        worker.log_tail()
    )
    assert flaky.requests >= len(alerts) + 3
    for event_id, body, signature in flaky.accepted:
        assert verify_signature("flaky-secret", signature, body, tolerance=600)
        assert not verify_signature("dead-secret", signature, body, tolerance=600)
        record = orjson.loads(body)
        validate("alert", record)
        assert record["alert_id"] == event_id
    # The dead receiver (filtered to ACME) never accepted: that one alert is on the webhook DLQ.
    assert not dead.accepted
    assert len(letters) == 1, letters
    validate("webhook_dead_letter", letters[0])
    letter = letters[0]
    acme = next(a for a in alerts if a["ticker"] == "ACME")
    assert letter["schema"] == "form4.webhook_dead_letter/1"
    assert (letter["alert_id"], letter["url"], letter["attempts"]) == (acme["alert_id"], dead.url, 6)
    assert letter["last_status"] == 500 and "500" in str(letter["last_error"])
    assert letter["alert"] == acme
    assert dead.requests == 6
