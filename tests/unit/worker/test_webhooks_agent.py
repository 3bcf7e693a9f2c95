"""deliver_webhooks' handler in process, with a local receiver: per subscriber, delivered, filtered out or
dead-lettered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import REGISTRY

from streams.adapters.webhooks import EVENT_ID_HEADER
from streams.config.subscribers import WebhookSubscriber
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.domain.records import WebhookDeadLetter
from streams.worker.agents.webhooks import DeliverWebhooks
from tests.support.hook_server import start_hook_server
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import AckFailed, RecordingSender, unit_settings


def sale_alert() -> bytes:
    """A real form4.alert/1 record: the ledger's large_sale alert of a $5M CEO sale."""
    settings = unit_settings()
    outcome = Ledger(Stores(), settings).apply_now(parsed_filing(ceo_sale_xml(), settings))
    return outcome.alerts[0].to_json()


ALERT = sale_alert()


class Receiver:
    """Answers every POST with ``status``; remembers the event ids it was sent."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.event_ids: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.event_ids.append(request.headers[EVENT_ID_HEADER])
        return web.Response(status=self.status)


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(receiver: Receiver) -> str:
        return await start_hook_server(receiver.handle, runners)

    yield start
    for runner in runners:
        await runner.cleanup()


def step(sender: RecordingSender, *urls: str, ticker: tuple[str, ...] = ()) -> DeliverWebhooks:
    hooks = tuple(
        WebhookSubscriber(url=u, secret="s3cret", name=f"hook{i}", ticker=ticker) for i, u in enumerate(urls)
    )
    settings = unit_settings(
        webhooks=hooks, webhook_max_attempts=2, webhook_backoff_seconds=0, webhook_timeout_seconds=5
    )
    return DeliverWebhooks(settings=settings, send=sender)


async def handle_all(s: DeliverWebhooks, raw: bytes, key: bytes | None = None) -> None:
    """What the subscribers' feeds do with one alert record: each subscriber on its own."""
    async with aiohttp.ClientSession() as session:
        for sub in s.settings.webhooks:
            await s.handle_alert(session, sub, raw, key, "t.alerts[0]@7")


def deliveries(label: str, outcome: str) -> float:
    # The webhook counters are the adapter's, in the default registry: compare before and after.
    return (
        REGISTRY.get_sample_value("form4_webhook_deliveries_total", {"subscriber": label, "outcome": outcome})
        or 0
    )


async def test_a_subscriber_that_never_accepts_gets_a_dead_letter_the_other_the_alert(serve: Any) -> None:
    dead, alive = Receiver(500), Receiver(200)
    sender = RecordingSender()
    s = step(sender, await serve(dead), await serve(alive))
    before = deliveries("hook0", "dead_lettered"), deliveries("hook1", "delivered")
    await handle_all(s, ALERT, key=b"0001234567")

    alert_id = orjson.loads(ALERT)["alert_id"]
    assert dead.event_ids == [alert_id, alert_id]  # webhook_max_attempts
    assert alive.event_ids == [alert_id]
    assert [x.topic for x in sender.sent] == [s.settings.topic_webhook_dlq]
    assert sender.sent[0].key == b"0001234567"
    letter = WebhookDeadLetter.model_validate_json(sender.sent[0].value)
    assert (letter.subscriber, letter.attempts, letter.last_status) == ("hook0", 2, 500)
    assert letter.url == s.settings.webhooks[0].url
    assert letter.alert["alert_id"] == alert_id and letter.alert["rule"] == "large_sale"
    assert (deliveries("hook0", "dead_lettered"), deliveries("hook1", "delivered")) == (
        before[0] + 1,
        before[1] + 1,
    )


async def test_an_unacknowledged_dead_letter_fails_the_message(serve: Any) -> None:
    """The offset must not be committed before Kafka has the dead letter: the handler raises (crash.py)."""
    s = step(RecordingSender(acks="fail"), await serve(Receiver(410)))
    with pytest.raises(AckFailed):
        await handle_all(s, ALERT)


async def test_an_accepted_alert_sends_nothing(serve: Any) -> None:
    receiver = Receiver(204)
    sender = RecordingSender()
    s = step(sender, await serve(receiver))
    await handle_all(s, ALERT)
    assert len(receiver.event_ids) == 1 and sender.sent == []


async def test_an_alert_outside_a_subscribers_filter_is_finished_without_a_post(serve: Any) -> None:
    receiver = Receiver(500)
    sender = RecordingSender()
    s = step(sender, await serve(receiver), ticker=("NOPE",))
    await handle_all(s, ALERT)
    assert receiver.event_ids == [] and sender.sent == []


async def test_a_record_that_is_not_an_alert_is_skipped_without_a_post(serve: Any) -> None:
    receiver = Receiver(200)
    sender = RecordingSender()
    s = step(sender, await serve(receiver))
    for raw in (b"not json", b'{"no_alert_id": 1}', b"[1, 2]"):
        await handle_all(s, raw)
    assert receiver.event_ids == [] and sender.sent == []
