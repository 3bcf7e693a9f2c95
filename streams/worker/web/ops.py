"""What operators and readers of a worker see over HTTP, wired in one call from ``create_app``:
``/metrics``, ``/health``, ``/ready``, the web page and its JSON endpoints, and the alert feed behind it.

They share one :class:`KafkaProbe` (broker reachability and lag, read on request) and one
:class:`AlertFeed` (the tail of the alerts topic, filled by a task of the app).
"""

from __future__ import annotations

from dataclasses import dataclass

import faust
from prometheus_client import CollectorRegistry

from streams.config.settings import Settings
from streams.domain.ledger import Stores
from streams.worker.agents.lag_monitor import KafkaProbe
from streams.worker.metrics import Metrics
from streams.worker.web import health, page, prometheus
from streams.worker.web.alert_feed import AlertFeed, follow_alerts


@dataclass(frozen=True)
class Ops:
    probe: KafkaProbe
    feed: AlertFeed


def register(
    app: faust.App, settings: Settings, stores: Stores, metrics: Metrics, registry: CollectorRegistry
) -> Ops:
    """Every ops and page route on ``app``, and the task that follows the alerts topic."""
    probe = KafkaProbe(settings, metrics)
    feed = AlertFeed(settings.page_alerts)
    prometheus.register(app, registry, probe)
    health.register(app, settings, probe)
    page.register(app, settings, stores, feed, probe, registry)

    @app.task
    async def follow_alerts_for_the_page() -> None:
        await follow_alerts(settings, feed)

    return Ops(probe=probe, feed=feed)


__all__ = ["Ops", "register"]
