"""deliver_webhooks: every alert to every matching webhook subscriber; failures to the webhook DLQ.

At-least-once: the alert's offset is committed only after each subscriber accepted it or its
dead letter was acknowledged by Kafka, so a crash in between redelivers (receivers dedupe on
``Form4-Event-Id``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import faust
import orjson
from faust.types import AgentT, Message, TopicT

from streams.adapters.acks import send_acked
from streams.adapters.webhooks import deliver_all, webhook_deliveries
from streams.config.settings import Settings
from streams.domain.records import WebhookDeadLetter
from streams.worker.crash import die_unacked
from streams.worker.dead_letters import log_context, place
from streams.worker.topics import Send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliverWebhooks:
    """The step of deliver_webhooks, with its collaborators."""

    settings: Settings
    send: Send

    async def handle_alert(self, session: aiohttp.ClientSession, raw: bytes, message: Message) -> None:
        """Deliver one alert record; dead-letter it per subscriber that never accepted it."""
        s = self.settings
        if not s.webhooks:
            return
        where, ctx = place(message), log_context(message)
        try:
            alert = orjson.loads(raw)
            alert_id = str(alert["alert_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            # Not an alert at all (the topic is ours): nothing a subscriber could use.
            log.error("not a form4.alert/1 record at %s; skipped", where, extra=ctx)
            return
        deliveries = await deliver_all(session, s.webhooks, alert, raw, s)
        letters: list[WebhookDeadLetter] = []
        for d in deliveries:
            webhook_deliveries.labels(d.subscriber.label, "delivered" if d.ok else "dead_lettered").inc()
            if d.ok:
                continue
            letters.append(
                WebhookDeadLetter(
                    alert_id=alert_id,
                    subscriber=d.subscriber.label,
                    url=d.subscriber.url,
                    attempts=d.attempts,
                    last_error=d.last_error,
                    last_status=d.last_status,
                    alert=alert,
                    failed_at=datetime.now(UTC),
                )
            )
            log.error(
                "webhook %s gave up on alert %s after %d attempts (%s): sent to %s",
                d.subscriber.label,
                alert_id,
                d.attempts,
                d.last_error,
                s.topic_webhook_dlq,
                extra=ctx | {"alert_id": alert_id},
            )
        await send_acked(self.send(s.topic_webhook_dlq, message.key, letter.to_json()) for letter in letters)


def register(app: faust.App, source: TopicT, step: DeliverWebhooks) -> AgentT[Any]:
    """The deliver_webhooks agent on ``app``, reading ``source`` (alerts)."""

    @app.agent(source, concurrency=1)  # one alert at a time keeps the commit after the delivery
    async def deliver_webhooks(stream: faust.StreamT[bytes]) -> None:
        async with aiohttp.ClientSession() as session:
            async for event in stream.events():
                try:
                    await step.handle_alert(session, event.value, event.message)
                except Exception as exc:  # noqa: BLE001 - a bug, not bad input: see streams.worker.crash
                    die_unacked(event.message, exc)

    return deliver_webhooks


__all__ = ["DeliverWebhooks", "register"]
