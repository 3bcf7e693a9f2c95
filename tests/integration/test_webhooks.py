"""Webhooks from a real worker: retried through failures and a timeout, or dead-lettered, never lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
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


async def test_a_hanging_subscriber_delays_only_itself(
    kafka_bootstrap: str, tmp_path: Path, serve: object
) -> None:
    """A subscriber that hangs gets nothing past its own window; the healthy one gets every alert.

    The hanging receiver answers (500) only once the healthy one has all N alerts, so "all N delivered
    to the healthy one before the first dead letter" is what the test waits for, not a time: with one
    shared delivery loop the healthy one would wait behind the hanging requests and never get there.
    """
    n = 10
    log: list[tuple[str, str]] = []  # (receiver, alert id) in arrival order
    release = asyncio.Event()

    async def healthy(request: web.Request) -> web.Response:
        log.append(("healthy", request.headers[EVENT_ID_HEADER]))
        return web.Response(status=200)

    async def hanging(request: web.Request) -> web.Response:
        log.append(("hanging", request.headers[EVENT_ID_HEADER]))
        await release.wait()
        return web.Response(status=500)

    runners: list[web.AppRunner] = []
    healthy_url = await start_hook_server(healthy, runners)
    hanging_url = await start_hook_server(hanging, runners)
    worker = WorkerProcess.create(
        kafka_bootstrap,
        tmp_path,
        webhooks=(
            WebhookSubscriber(url=healthy_url, secret="h", name="healthy"),
            WebhookSubscriber(url=hanging_url, secret="b", name="hanging"),
        ),
        webhook_max_attempts=3,
        webhook_backoff_seconds=0.05,
        webhook_backoff_cap_seconds=0.2,
        webhook_timeout_seconds=600.0,  # the hanging receiver is never given up on before its release
        webhook_concurrency=2,
    )
    env = worker.env

    def backlogs() -> dict[str, int]:
        done = subprocess.run(
            [sys.executable, "-m", "streams", "lag", "--json"], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()
        return {w["subscriber"]: w["backlog"] for w in orjson.loads(done.stdout)["webhooks"]}

    def gauge(subscriber: str) -> float | None:
        text = worker.get("/metrics")[1].decode()
        line = f'form4_webhook_backlog{{subscriber="{subscriber}"}} '
        found = [x for x in text.splitlines() if x.startswith(line)]
        return float(found[0].split()[-1]) if found else None

    async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while not await check():
            assert time.monotonic() < deadline, f"{what}:\n{worker.log_tail()}"
            await asyncio.sleep(0.5)

    worker.start()
    try:
        await worker.push(
            (
                f"s{i}".encode(),
                ceo_sale_xml(ticker=f"T{i}", issuer_cik=f"{7000 + i:010d}", owner_cik=f"{8000 + i:010d}"),
            )
            for i in range(n)
        )

        async def healthy_has_all() -> bool:
            return len({a for who, a in log if who == "healthy"}) == n

        await until(healthy_has_all, "the healthy subscriber did not get every alert")
        # Nothing was dead-lettered yet: the hanging subscriber holds only its own window of requests.
        assert await worker.records(worker.settings.topic_webhook_dlq) == []
        assert len([1 for who, _ in log if who == "hanging"]) == 2  # webhook_concurrency
        alerts = await worker.records(worker.settings.topic_alerts)
        assert sorted(a for who, a in log if who == "healthy") == sorted(str(a["alert_id"]) for a in alerts)

        # Each subscriber's backlog by name: its own group's position, in form4 lag and /metrics.
        async def backlogs_seen() -> bool:
            return await asyncio.to_thread(backlogs) == {"healthy": 0, "hanging": n}

        await until(backlogs_seen, "form4 lag backlogs")

        async def gauges_seen() -> bool:
            return await asyncio.to_thread(lambda: (gauge("healthy"), gauge("hanging"))) == (0.0, float(n))

        await until(gauges_seen, "form4_webhook_backlog gauges")

        release.set()

        async def all_dead_lettered() -> bool:
            return len(await worker.records(worker.settings.topic_webhook_dlq)) >= n

        await until(all_dead_lettered, "the hanging subscriber's alerts did not all reach the webhook DLQ")
        letters = await worker.records(worker.settings.topic_webhook_dlq)

        async def hanging_drained() -> bool:
            return (await asyncio.to_thread(backlogs))["hanging"] == 0

        await until(hanging_drained, "the hanging subscriber's position did not pass its dead letters")
    finally:
        release.set()
        worker.stop()
        for runner in runners:
            await runner.cleanup()

    assert sorted(str(x["alert_id"]) for x in letters) == sorted(str(a["alert_id"]) for a in alerts)
    assert {(x["subscriber"], x["attempts"], x["last_status"]) for x in letters} == {("hanging", 3, 500)}
    # The healthy subscriber got each alert once, all before the hanging one's first dead letter.
    assert Counter(a for who, a in log if who == "healthy") == Counter(str(a["alert_id"]) for a in alerts)
