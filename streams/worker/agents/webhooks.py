"""deliver_webhooks: every alert to every matching webhook subscriber; failures to the webhook DLQ.

At-least-once: the alert's offset is committed only after each subscriber accepted it or its
dead letter was acknowledged by Kafka, so a crash in between redelivers (receivers dedupe on
``Form4-Event-Id``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
import faust
import orjson

from streams.adapters.webhooks import deliver_all, webhook_deliveries
from streams.config.settings import get_settings
from streams.domain.records import WebhookDeadLetter
from streams.worker.app import app
from streams.worker.crash import die_unacked
from streams.worker.topics import alerts

log = logging.getLogger(__name__)
_settings = get_settings()

webhook_dlq = app.topic(
    _settings.topic_webhook_dlq,
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=_settings.topic_partitions,
)


async def handle_alert(session: aiohttp.ClientSession, raw: bytes, message: faust.types.Message) -> None:
    """Deliver one alert record; dead-letter it per subscriber that never accepted it."""
    if not _settings.webhooks:
        return
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    try:
        alert = orjson.loads(raw)
        alert_id = str(alert["alert_id"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        # Not an alert at all (the topic is ours): nothing a subscriber could use.
        log.error(
            "not a form4.alert/1 record at %s; skipped",
            where,
            extra={"topic": message.topic, "partition": message.partition, "offset": message.offset},
        )
        return
    deliveries = await deliver_all(session, _settings.webhooks, alert, raw, _settings)
    pending = []
    for d in deliveries:
        webhook_deliveries.labels(d.subscriber.label, "delivered" if d.ok else "dead_lettered").inc()
        if d.ok:
            continue
        letter = WebhookDeadLetter(
            alert_id=alert_id,
            subscriber=d.subscriber.label,
            url=d.subscriber.url,
            attempts=d.attempts,
            last_error=d.last_error,
            last_status=d.last_status,
            alert=alert,
            failed_at=datetime.now(UTC),
        )
        log.error(
            "webhook %s gave up on alert %s after %d attempts (%s): sent to %s",
            d.subscriber.label,
            alert_id,
            d.attempts,
            d.last_error,
            webhook_dlq.get_topic_name(),
            extra={
                "alert_id": alert_id,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
            },
        )
        pending.append(await webhook_dlq.send(key=message.key, value=letter.to_json()))
    for fut in pending:
        await fut


@app.agent(alerts, concurrency=1)  # one alert at a time keeps the commit after the delivery
async def deliver_webhooks(stream: faust.StreamT[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        async for event in stream.events():
            try:
                await handle_alert(session, event.value, event.message)
            except Exception as exc:  # noqa: BLE001 - a bug, not bad input: see streams.worker.crash
                die_unacked(event.message, exc)
