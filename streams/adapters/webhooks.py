"""Alert webhooks: signed JSON POSTs with retries; what is never accepted goes to a dead-letter topic.

Signature (Stripe style): ``Form4-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
keyed with the subscriber's secret, plus ``Form4-Event-Id: <alert_id>`` so receivers can drop the
repeats that at-least-once delivery may bring. Receivers check it with :func:`verify_signature`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from prometheus_client import Counter

from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber
from streams.domain.records import WebhookDeadLetter

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Form4-Signature"
EVENT_ID_HEADER = "Form4-Event-Id"
#: Client errors that may pass on a later attempt; any other 4xx is the receiver refusing for good.
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})

webhook_attempts = Counter(
    "form4_webhook_attempts", "Webhook POST attempts, by subscriber and result", ["subscriber", "result"]
)
webhook_deliveries = Counter(
    "form4_webhook_deliveries", "Alerts handed to a webhook subscriber, by outcome", ["subscriber", "outcome"]
)


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The ``Form4-Signature`` header value of ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str | bytes, header: str | None, body: bytes, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """Whether ``header`` is a valid ``Form4-Signature`` of the raw request ``body``.

    Args:
        secret: the subscriber's shared secret.
        header: the ``Form4-Signature`` header as received (``None`` when it is missing).
        body: the request body exactly as received, before any JSON parsing.
        tolerance: largest accepted age (and clock skew) of the timestamp, in seconds; it stops
            replays of old captured requests.
        now: the current unix time (default: ``time.time()``).
    """
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    # Several v1 entries are allowed (secret rotation); compare in constant time.
    return any(hmac.compare_digest(expected, c) for c in candidates)


def backoff_delay(failed_attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt after ``failed_attempts`` failures: base * 2**(n-1), capped."""
    return min(cap, base * 2 ** max(0, failed_attempts - 1))


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one alert to one subscriber."""

    subscriber: WebhookSubscriber
    ok: bool
    attempts: int
    last_error: str = ""
    last_status: int | None = None


async def post_once(
    session: aiohttp.ClientSession, sub: WebhookSubscriber, body: bytes, alert_id: str, timeout: float
) -> tuple[bool, bool, str, int | None]:
    """One signed POST; returns (accepted, worth retrying, error text, HTTP status)."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(sub.secret.get_secret_value(), body, int(time.time())),
        EVENT_ID_HEADER: alert_id,
        "User-Agent": "form4-stream-webhooks/1",
    }
    try:
        async with session.post(
            sub.url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            await response.read()
            if 200 <= response.status < 300:
                return True, False, "", response.status
            retry = response.status >= 500 or response.status in _RETRYABLE_4XX
            return False, retry, f"HTTP {response.status} {response.reason or ''}".strip(), response.status
    except TimeoutError:
        return False, True, f"timeout after {timeout:g}s", None
    except aiohttp.ClientError as exc:
        return False, True, f"{type(exc).__name__}: {exc}", None


async def deliver(
    session: aiohttp.ClientSession,
    sub: WebhookSubscriber,
    body: bytes,
    alert_id: str,
    settings: Settings,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Delivery:
    """POST until accepted, a permanent refusal, or ``webhook_max_attempts`` attempts."""
    attempt, error, status = 0, "", None
    while attempt < settings.webhook_max_attempts:
        if attempt:
            await sleep(
                backoff_delay(attempt, settings.webhook_backoff_seconds, settings.webhook_backoff_cap_seconds)
            )
        attempt += 1
        ok, retry, error, status = await post_once(
            session, sub, body, alert_id, settings.webhook_timeout_seconds
        )
        webhook_attempts.labels(sub.label, "ok" if ok else "error").inc()
        if ok:
            return Delivery(sub, True, attempt, last_status=status)
        log.warning(
            "webhook %s attempt %d/%d for alert %s failed: %s",
            sub.label,
            attempt,
            settings.webhook_max_attempts,
            alert_id,
            error,
            extra={"alert_id": alert_id, "subscriber": sub.label, "attempt": attempt},
        )
        if not retry:
            break
    return Delivery(sub, False, attempt, error, status)


async def deliver_all(
    session: aiohttp.ClientSession,
    subscribers: Sequence[WebhookSubscriber],
    alert: Mapping[str, Any],
    body: bytes,
    settings: Settings,
) -> list[Delivery]:
    """Deliver ``alert`` to every subscriber whose filter it passes, all at the same time.

    Concurrent so one slow or failing subscriber delays the others by nothing but its own retries.
    """
    wanted = [s for s in subscribers if s.matches(alert)]
    alert_id = str(alert.get("alert_id"))
    return list(await asyncio.gather(*(deliver(session, s, body, alert_id, settings) for s in wanted)))


__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "WebhookDeadLetter",
    "backoff_delay",
    "deliver",
    "deliver_all",
    "post_once",
    "sign",
    "verify_signature",
]
