"""Kafka as the worker sees it right now: reachability and the group's lag, read at request time.

One :class:`KafkaProbe` per worker answers ``/metrics`` (``form4_consumer_lag{topic,partition}``,
``form4_kafka_reachable``), ``/ready`` and the web page's ops strip. A reading younger than
``max_age`` is shared, so a scrape, a readiness probe and a page poll arriving together cost one
round of broker requests; nothing is refreshed in the background, so a value is never older than
the request that asked for it (plus ``max_age``).

The lag comes from the broker's committed offsets (``streams.adapters.lag.group_lag``), so every
worker of the group reports the whole group's lag: aggregate with ``max by (topic, partition)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from streams.adapters.lag import GroupLag, group_lag
from streams.config.settings import Settings
from streams.worker.metrics import Metrics

log = logging.getLogger(__name__)

ReadLag = Callable[[Settings, list[str]], Awaitable[GroupLag]]


@dataclass(frozen=True)
class KafkaReading:
    """One probe of the broker: the lag when it answered, else why it did not."""

    lag: GroupLag | None
    error: str | None
    at: float
    """``time.monotonic()`` when the reading was taken."""

    @property
    def reachable(self) -> bool:
        return self.error is None


def lag_topics(settings: Settings) -> list[str]:
    """The topics the worker's group consumes: raw and parsed filings, live and backfill lanes.

    Alerts are read by each webhook subscriber's own group (form4_webhook_backlog), not by this one.
    """
    return list(settings.source_topics)


async def _group_lag(settings: Settings, topics: list[str]) -> GroupLag:
    return await group_lag(settings, topics=topics)


class KafkaProbe:
    """Reads the broker on demand, at most once per ``max_age`` seconds, within a timeout."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        read: ReadLag = _group_lag,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._read = read
        self._clock = clock
        self._last: KafkaReading | None = None
        self._lock = asyncio.Lock()

    @property
    def last(self) -> KafkaReading | None:
        return self._last

    async def read(self, max_age: float = 1.0) -> KafkaReading:
        """A reading no older than ``max_age`` seconds; takes a new one (and updates the gauge) if needed."""
        if self._fresh(max_age):
            assert self._last is not None
            return self._last
        async with self._lock:  # concurrent callers wait for the one reading in flight
            if self._fresh(max_age):
                assert self._last is not None
                return self._last
            timeout = self.settings.kafka_probe_timeout_seconds
            try:
                lag = await asyncio.wait_for(self._read(self.settings, lag_topics(self.settings)), timeout)
            except TimeoutError:
                reading = KafkaReading(
                    None, f"no answer from {self.settings.kafka_bootstrap} in {timeout}s", 0
                )
            except Exception as exc:  # noqa: BLE001 - any failure means "cannot reach Kafka", said as such
                # aiokafka's errors already start with their class name; ours and the stdlib's do not.
                text = str(exc)
                name = type(exc).__name__
                reading = KafkaReading(None, text if text.startswith(name) else f"{name}: {text}", 0)
            else:
                reading = KafkaReading(lag, None, 0)
            reading = KafkaReading(reading.lag, reading.error, self._clock())
            self._publish(reading)
            self._last = reading
            return reading

    def _fresh(self, max_age: float) -> bool:
        return self._last is not None and self._clock() - self._last.at <= max_age

    def _publish(self, reading: KafkaReading) -> None:
        gauge = self.metrics.consumer_lag
        # Partitions gone, or a broker that did not answer: old numbers must not pass for current ones.
        gauge.clear()
        if reading.lag is None:
            log.warning("Kafka probe failed: %s", reading.error)
            return
        for p in reading.lag.partitions:
            gauge.labels(p.topic, str(p.partition)).set(p.lag)


class KafkaProbeCollector(Collector):
    """``form4_kafka_reachable``: 1 when the last probe reached the broker (0 before the first one)."""

    def __init__(self, probe: KafkaProbe) -> None:
        self.probe = probe

    def collect(self) -> Iterator[Metric]:
        last = self.probe.last
        family = GaugeMetricFamily(
            "form4_kafka_reachable", "Whether the worker's last broker probe (at scrape time) got an answer"
        )
        family.add_metric([], 1.0 if last is not None and last.reachable else 0.0)
        yield family

    def describe(self) -> Iterator[Metric]:
        # Without describe() a registry calls collect() at registration, before any probe ran.
        yield GaugeMetricFamily("form4_kafka_reachable", "")


async def refresh_lag(settings: Settings, metrics: Metrics) -> int:
    """Update the lag gauge from the broker once; returns the total lag (raises when Kafka is down)."""
    reading = await KafkaProbe(settings, metrics).read(max_age=0)
    if reading.lag is None:
        raise ConnectionError(reading.error)
    return reading.lag.total_lag


__all__ = ["KafkaProbe", "KafkaProbeCollector", "KafkaReading", "lag_topics", "refresh_lag"]
