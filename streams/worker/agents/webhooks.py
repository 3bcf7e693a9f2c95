"""deliver_webhooks: every alert to every matching subscriber, each subscriber on its own.

Each subscriber has its own consumer group on the alerts topic (``<app_id>-webhook-<label>``, see
``streams.adapters.webhook_feed``), its own HTTP connection pool, up to ``webhook_concurrency``
alerts in delivery and its own retries: a subscriber that is down or hangs delays only itself, and
its backlog is its group's lag (``form4_webhook_backlog{subscriber}``, ``form4 lag``).

At-least-once: a subscriber's position passes an alert only after the subscriber accepted it (or its
filter leaves it out) or its dead letter was acknowledged by Kafka, so a crash in between redelivers
(receivers drop a request with the ``Form4-Event-Id`` of the last one they kept for that alert).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import faust
import orjson

from streams.adapters.acks import send_acked
from streams.adapters.webhook_feed import FeedFailure, SubscriberFeed, make_consumer, subscriber_group
from streams.adapters.webhooks import deliver, webhook_deliveries
from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber
from streams.domain.records import WebhookDeadLetter
from streams.worker.crash import EXIT_BUG
from streams.worker.metrics import Metrics
from streams.worker.poison import PoisonGuard
from streams.worker.topics import Send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliverWebhooks:
    """The step of deliver_webhooks for one alert and one subscriber, with its collaborators."""

    settings: Settings
    send: Send

    async def handle_alert(
        self,
        session: aiohttp.ClientSession,
        sub: WebhookSubscriber,
        raw: bytes,
        key: bytes | None,
        where: str,
    ) -> None:
        """Deliver one alert record to ``sub``; dead-letter it if ``sub`` never accepted it.

        Returns once the alert is finished for ``sub``; raises when its dead letter was not
        acknowledged (the position must not pass it).
        """
        s = self.settings
        try:
            alert = orjson.loads(raw)
            alert_id = str(alert["alert_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            # Not an alert at all (the topic is ours): nothing a subscriber could use.
            log.error("not a form4.alert/1 record at %s; skipped for %s", where, sub.label)
            return
        if not sub.matches(alert):
            return
        d = await deliver(session, sub, raw, alert_id, s)
        webhook_deliveries.labels(sub.label, "delivered" if d.ok else "dead_lettered").inc()
        if d.ok:
            return
        letter = WebhookDeadLetter(
            alert_id=alert_id,
            subscriber=sub.label,
            url=sub.url,
            attempts=d.attempts,
            last_error=d.last_error,
            last_status=d.last_status,
            alert=alert,
            failed_at=datetime.now(UTC),
        )
        log.error(
            "webhook %s gave up on alert %s after %d attempts (%s): sent to %s",
            sub.label,
            alert_id,
            d.attempts,
            d.last_error,
            s.topic_webhook_dlq,
            extra={"alert_id": alert_id, "subscriber": sub.label, "where": where},
        )
        await send_acked([self.send(s.topic_webhook_dlq, key, letter.to_json())])


def feed_of(
    step: DeliverWebhooks, sub: WebhookSubscriber, session: aiohttp.ClientSession, metrics: Metrics
) -> SubscriberFeed:
    """``sub``'s feed: its own consumer group on the alerts topic, finishing each record with ``step``."""
    s = step.settings

    # Issue 13: an alert that makes delivery fail by itself is retried, then dead-lettered
    # (processing_error, stage webhooks) so it cannot stop this subscriber; broker/disk errors still exit.
    guard = PoisonGuard("webhooks", s, step.send, metrics)

    async def handle(record: Any) -> None:
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        deliver_one = partial(step.handle_alert, session, sub, record.value, record.key, where)
        await guard.run(record.value, record, deliver_one)

    return SubscriberFeed(
        name=sub.label,
        consumer=make_consumer(s, sub),
        topic=s.topic_alerts,
        handle=handle,
        concurrency=s.webhook_concurrency,
        on_backlog=metrics.webhook_backlog.labels(sub.label).set,
    )


def die_unacked(sub: WebhookSubscriber, failure: BaseException) -> None:
    """Like ``streams.worker.crash.die_unacked``: exit, the subscriber's position not past the record."""
    log.critical(
        "webhook %s could not finish %s: exiting so it is delivered again after restart",
        sub.label,
        failure,
        exc_info=failure.cause if isinstance(failure, FeedFailure) else failure,
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(EXIT_BUG)


async def run_subscriber(step: DeliverWebhooks, sub: WebhookSubscriber, metrics: Metrics) -> None:
    """Deliver to ``sub`` until the worker stops; a failure to finish an alert stops the process."""
    # A pool per subscriber: a hanging receiver holds its own connections, never the others'.
    connector = aiohttp.TCPConnector(limit=step.settings.webhook_concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        try:
            await feed_of(step, sub, session, metrics).run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - at-least-once: see streams.worker.crash
            die_unacked(sub, exc)


def register(app: faust.App, step: DeliverWebhooks, metrics: Metrics) -> None:
    """The deliver_webhooks task on ``app``: one feed per subscriber of ``step.settings.webhooks``."""
    subscribers = step.settings.webhooks
    if not subscribers:
        return

    async def deliver_webhooks() -> None:
        for sub in subscribers:
            log.info("webhook %s: consumer group %s", sub.label, subscriber_group(step.settings, sub))
        await asyncio.gather(*(run_subscriber(step, sub, metrics) for sub in subscribers))

    app.task(deliver_webhooks)


__all__ = ["DeliverWebhooks", "die_unacked", "feed_of", "register", "run_subscriber"]
