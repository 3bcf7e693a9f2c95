"""Consumer lag as a Prometheus gauge: ``form4_consumer_lag{topic,partition}`` refreshed by a timer.

It asks the broker for the group's committed offsets (``streams.adapters.lag.group_lag``), so every worker of
the group reports the whole group's lag: aggregate with ``max by (topic, partition)``.
"""

from __future__ import annotations

import logging

from prometheus_client import Gauge

from streams.adapters.lag import group_lag
from streams.config.settings import get_settings
from streams.worker.app import app

log = logging.getLogger(__name__)
_settings = get_settings()

consumer_lag = Gauge(
    "form4_consumer_lag",
    "Messages not yet committed by the worker group, per partition",
    ["topic", "partition"],
)


async def refresh_lag() -> int:
    """Update the gauge from the broker; returns the total lag."""
    lag = await group_lag(
        _settings, topics=[_settings.topic_raw, _settings.topic_parsed, _settings.topic_alerts]
    )
    for p in lag.partitions:
        consumer_lag.labels(p.topic, str(p.partition)).set(p.lag)
    return lag.total_lag


@app.timer(interval=_settings.lag_monitor_interval_seconds)
async def monitor_lag() -> None:
    try:
        await refresh_lag()
    except Exception as exc:  # noqa: BLE001 - a broker hiccup must never stop the worker's timers
        log.warning("consumer lag refresh failed: %r", exc)
