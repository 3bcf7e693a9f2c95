"""Alert webhooks: signed JSON POSTs with retries; what is never accepted goes to a dead-letter topic.

Signature (Stripe style): ``Form4-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
keyed with the subscriber's secret, plus ``Form4-Event-Id: <alert_id>`` so receivers can drop the
repeats that at-least-once delivery may bring (a request with the id of the last one kept for that
alert; an alert raised again after its retraction is no repeat). Receivers check the signature with
:func:`verify_signature`.

Each subscriber is fed from its own consumer group (``streams.adapters.webhook_feed``), so its retries
delay no other subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

import aiohttp
import stamina
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


class WebhookAttemptError(Exception):
    """One POST the receiver did not accept; ``status`` is ``None`` when no HTTP answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def is_retryable_webhook_error(exc: Exception) -> bool:
    """Whether a failed POST may pass on a later attempt: the one retry predicate of the webhooks.

    No answer (timeout, refused or reset connection), a 5xx, or 408/409/425/429 are worth another
    attempt; any other status (4xx, 3xx) is the receiver refusing for good.
    """
    if isinstance(exc, WebhookAttemptError):
        return exc.status is None or exc.status >= 500 or exc.status in _RETRYABLE_4XX
    return isinstance(exc, TimeoutError | aiohttp.ClientError)


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
) -> int:
    """One signed POST; returns the 2xx status.

    Raises:
        WebhookAttemptError: any other status, a timeout or a connection error.
    """
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
                return response.status
            reason = f"HTTP {response.status} {response.reason or ''}".strip()
            raise WebhookAttemptError(reason, response.status)
    except TimeoutError:
        raise WebhookAttemptError(f"timeout after {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise WebhookAttemptError(f"{type(exc).__name__}: {exc}") from exc


async def deliver(
    session: aiohttp.ClientSession,
    sub: WebhookSubscriber,
    body: bytes,
    alert_id: str,
    settings: Settings,
) -> Delivery:
    """POST until accepted, a permanent refusal, or ``webhook_max_attempts`` attempts.

    Backoff between attempts: ``webhook_backoff_seconds`` doubling per failure, at most
    ``webhook_backoff_cap_seconds``, without jitter (one alert's retries to one receiver).
    """
    attempts = 0
    try:
        async for attempt in stamina.retry_context(
            on=is_retryable_webhook_error,
            attempts=settings.webhook_max_attempts,
            timeout=None,  # bounded by the attempts alone, as configured
            wait_initial=settings.webhook_backoff_seconds,
            wait_max=settings.webhook_backoff_cap_seconds,
            wait_jitter=0.0,
        ):
            with attempt:
                attempts = attempt.num
                try:
                    status = await post_once(session, sub, body, alert_id, settings.webhook_timeout_seconds)
                except WebhookAttemptError as exc:
                    webhook_attempts.labels(sub.label, "error").inc()
                    log.warning(
                        "webhook %s attempt %d/%d for alert %s failed: %s",
                        sub.label,
                        attempts,
                        settings.webhook_max_attempts,
                        alert_id,
                        exc,
                        extra={"alert_id": alert_id, "subscriber": sub.label, "attempt": attempts},
                    )
                    raise
                webhook_attempts.labels(sub.label, "ok").inc()
                return Delivery(sub, True, attempts, last_status=status)
    except WebhookAttemptError as exc:  # the last attempt, or a refusal not worth retrying
        return Delivery(sub, False, attempts, str(exc), exc.status)
    raise AssertionError("unreachable: stamina returns or re-raises the last error")


__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "WebhookAttemptError",
    "WebhookDeadLetter",
    "deliver",
    "is_retryable_webhook_error",
    "post_once",
    "sign",
    "verify_signature",
]
