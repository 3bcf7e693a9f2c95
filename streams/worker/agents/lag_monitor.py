"""Consumer lag as a Prometheus gauge: ``form4_consumer_lag{topic,partition}`` refreshed by a timer.

It asks the broker for the group's committed offsets (``streams.adapters.lag.group_lag``), so every worker of
the group reports the whole group's lag: aggregate with ``max by (topic, partition)``.
"""

from __future__ import annotations

import logging

import faust

from streams.adapters.lag import group_lag
from streams.config.settings import Settings
from streams.worker.metrics import Metrics

log = logging.getLogger(__name__)


async def refresh_lag(settings: Settings, metrics: Metrics) -> int:
    """Update the gauge from the broker; returns the total lag."""
    lag = await group_lag(settings, topics=[settings.topic_raw, settings.topic_parsed, settings.topic_alerts])
    for p in lag.partitions:
        metrics.consumer_lag.labels(p.topic, str(p.partition)).set(p.lag)
    return lag.total_lag


def register(app: faust.App, settings: Settings, metrics: Metrics) -> None:
    """The monitor_lag timer on ``app``, every ``lag_monitor_interval_seconds``."""

    @app.timer(interval=settings.lag_monitor_interval_seconds, name=f"{__name__}.monitor_lag")
    async def monitor_lag() -> None:
        try:
            await refresh_lag(settings, metrics)
        except Exception as exc:  # noqa: BLE001 - a broker hiccup must never stop the worker's timers
            log.warning("consumer lag refresh failed: %r", exc)


__all__ = ["refresh_lag", "register"]
