"""Webhook signing and verification; what is retried, the backoff and the retry loop (local receiver)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from streams.adapters.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WebhookAttemptError,
    WebhookDeadLetter,
    deliver,
    is_retryable_webhook_error,
    sign,
    verify_signature,
)
from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber
from streams.localbroker.broker import free_port
from tests.support.hook_server import start_hook_server

BODY = b'{"schema":"form4.alert/1","alert_id":"a1"}'


def test_signature_has_the_stripe_layout_and_verifies() -> None:
    """sign() gives t=<ts>,v1=<64 hex> and verify_signature accepts it with the same secret and body."""
    header = sign("whsec", BODY, 1_700_000_000)
    t, v1 = header.split(",")
    assert t == "t=1700000000" and v1.startswith("v1=") and len(v1) == 3 + 64
    assert verify_signature("whsec", header, BODY, now=1_700_000_010)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h, b: (h, b + b" "),  # body changed
        lambda h, b: (h.replace("t=17", "t=18"), b),  # timestamp changed
        lambda h, b: (sign("other", b, 1_700_000_000), b),  # wrong secret
        lambda h, b: ("v1=" + h.split("v1=")[1], b),  # timestamp missing
        lambda h, b: ("garbage", b),
        lambda h, b: (None, b),
    ],
)
def test_tampered_or_malformed_signatures_are_rejected(
    mutate: Callable[[str, bytes], tuple[Any, bytes]],
) -> None:
    """Any change to body, timestamp or secret, and any malformed header, fails verification."""
    header, body = mutate(sign("whsec", BODY, 1_700_000_000), BODY)
    assert not verify_signature("whsec", header, body, now=1_700_000_000)


def test_old_signatures_are_rejected_and_rotation_is_supported() -> None:
    """A timestamp older than the tolerance fails; a header with several v1 values passes if one matches."""
    header = sign("whsec", BODY, 1_700_000_000)
    assert not verify_signature("whsec", header, BODY, tolerance=300, now=1_700_000_301)
    rotated = header + ",v1=" + "0" * 64
    assert verify_signature("whsec", rotated, BODY, now=1_700_000_000)


@pytest.mark.parametrize("status", [None, 500, 502, 503, 504, 599, 408, 409, 425, 429])
def test_no_answer_5xx_and_transient_4xx_are_retried(status: int | None) -> None:
    """No answer at all (status None), any 5xx, and 408/409/425/429 may pass on a later attempt."""
    assert is_retryable_webhook_error(WebhookAttemptError("failed", status)) is True


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 405, 410, 413, 422])
def test_other_4xx_and_3xx_are_permanent_refusals(status: int) -> None:
    """Any other status is the receiver refusing for good: no second attempt."""
    assert is_retryable_webhook_error(WebhookAttemptError("refused", status)) is False


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (TimeoutError(), True),
        (aiohttp.ClientConnectionError("refused"), True),
        (aiohttp.ServerDisconnectedError(), True),
        (ValueError("a bug, not the network"), False),
        (KeyError("x"), False),
    ],
)
def test_network_errors_are_retried_and_bugs_are_not(exc: Exception, retried: bool) -> None:
    """Timeouts and aiohttp client errors are transient; anything else is not retried."""
    assert is_retryable_webhook_error(exc) is retried


class Receiver:
    """A local webhook receiver answering with the queued statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest_asyncio.fixture
async def receiver_factory() -> AsyncIterator[Callable[[list[int]], Any]]:
    runners: list[web.AppRunner] = []

    async def make(statuses: list[int]) -> Receiver:
        receiver = Receiver(statuses)
        receiver.url = await start_hook_server(receiver.handle, runners)
        return receiver

    yield make
    for runner in runners:
        await runner.cleanup()


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_max_attempts": 4,
        "webhook_backoff_seconds": 0.5,
        "webhook_backoff_cap_seconds": 1.5,
        "webhook_timeout_seconds": 5,
    }
    return Settings(**(values | overrides))


async def test_server_errors_are_retried_with_backoff_until_accepted(
    receiver_factory: Any, retry_waits: list[float]
) -> None:
    """Three 5xx answers then 200: four signed attempts with the same event id; the backoff starts at
    webhook_backoff_seconds, doubles, is capped at webhook_backoff_cap_seconds and has no jitter."""
    receiver = await receiver_factory([500, 503, 502])
    sub = WebhookSubscriber(url=receiver.url, secret="whsec")
    settings = _settings(webhook_backoff_seconds=0.01, webhook_backoff_cap_seconds=0.03)
    async with aiohttp.ClientSession() as session:
        result = await deliver(session, sub, BODY, "a1", settings)
    assert result.ok and result.attempts == 4 and result.last_status == 200
    assert retry_waits == pytest.approx([0.01, 0.02, 0.03])  # 0.04 capped to 0.03
    assert len(receiver.requests) == 4
    for headers, body in receiver.requests:
        assert body == BODY and headers[EVENT_ID_HEADER] == "a1"
        assert verify_signature("whsec", headers[SIGNATURE_HEADER], body)


async def test_gives_up_after_max_attempts_and_stops_on_a_permanent_refusal(receiver_factory: Any) -> None:
    """Endless 500s stop after webhook_max_attempts; a 400 is not retried at all; 429 is."""
    failing = await receiver_factory([500] * 10)
    refusing = await receiver_factory([400])
    throttling = await receiver_factory([429])
    async with aiohttp.ClientSession() as session:
        gave_up = await deliver(
            session, WebhookSubscriber(url=failing.url, secret="s"), BODY, "a1", _settings()
        )
        refused = await deliver(
            session, WebhookSubscriber(url=refusing.url, secret="s"), BODY, "a1", _settings()
        )
        throttled = await deliver(
            session, WebhookSubscriber(url=throttling.url, secret="s"), BODY, "a1", _settings()
        )
    assert (gave_up.ok, gave_up.attempts, gave_up.last_status) == (False, 4, 500)
    assert "HTTP 500" in gave_up.last_error and len(failing.requests) == 4
    assert (refused.ok, refused.attempts, refused.last_status) == (False, 1, 400)
    assert len(refusing.requests) == 1
    assert (throttled.ok, throttled.attempts) == (True, 2)


async def test_unreachable_receiver_is_a_retryable_error() -> None:
    """A refused connection counts as a failed attempt and is retried."""
    sub = WebhookSubscriber(url=f"http://127.0.0.1:{free_port()}/hook", secret="s")
    async with aiohttp.ClientSession() as session:
        result = await deliver(session, sub, BODY, "a1", _settings())
    assert not result.ok and result.attempts == 4 and result.last_status is None
    assert "ClientConnectorError" in result.last_error


def test_webhook_dead_letter_wire_form() -> None:
    """The webhook dead letter serialises with its schema id and the original alert."""
    letter = WebhookDeadLetter(
        alert_id="a1",
        subscriber="h",
        url="http://h/x",
        attempts=6,
        last_error="HTTP 500",
        last_status=500,
        alert={"alert_id": "a1"},
        failed_at="2024-01-01T00:00:00Z",
    )
    assert letter.to_json().startswith(b'{"schema":"form4.webhook_dead_letter/1"')
