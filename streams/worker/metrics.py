"""Prometheus metrics of the pipeline, served with Faust's own at /metrics.

The worker registers them once in the default registry (:func:`metrics_in` caches per registry, since a
Prometheus registry refuses a second metric of the same name); tests pass a fresh registry to count
from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "form4"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass(frozen=True)
class Metrics:
    """The worker's own metrics, handed to the agents' handlers."""

    filings_parsed: Counter
    filings_duplicate: Counter
    dead_letters: Counter
    events_emitted: Counter
    alerts_emitted: Counter
    reconciliation_breaks: Counter
    positions_tracked: Gauge
    rocksdb_memory: Gauge
    latency: Histogram
    consumer_lag: Gauge
    webhook_backlog: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> Metrics:
        """Register every metric in ``registry`` (once per registry: see :func:`metrics_in`)."""
        return cls(
            filings_parsed=Counter(
                f"{PREFIX}_filings_parsed", "Filings parsed, by source format", ["format"], registry=registry
            ),
            filings_duplicate=Counter(
                f"{PREFIX}_filings_duplicate", "Filings seen before and skipped", ["stage"], registry=registry
            ),
            dead_letters=Counter(
                f"{PREFIX}_dead_letters",
                "Messages sent to the dead-letter topic",
                ["reason"],
                registry=registry,
            ),
            events_emitted=Counter(
                f"{PREFIX}_events_emitted", "form4.transaction/1 events emitted", registry=registry
            ),
            alerts_emitted=Counter(
                f"{PREFIX}_alerts",
                "Alerts emitted, by rule, severity and kind",
                ["rule", "severity", "kind"],
                registry=registry,
            ),
            reconciliation_breaks=Counter(
                f"{PREFIX}_reconciliation_breaks",
                "Reported holdings that differ from prior holding +/- transaction",
                registry=registry,
            ),
            positions_tracked=Gauge(
                f"{PREFIX}_positions_tracked",
                "Positions in this worker's table (FORM4_STORE=rocksdb://: RocksDB's estimate)",
                registry=registry,
            ),
            rocksdb_memory=Gauge(
                f"{PREFIX}_rocksdb_memory_bytes",
                "FORM4_STORE=rocksdb://: bytes in the shared block cache (blocks and memtables), of "
                "FORM4_ROCKSDB_MEMORY_MB",
                registry=registry,
            ),
            latency=Histogram(
                f"{PREFIX}_processing_latency_seconds",
                "From the raw message's Kafka timestamp to the filing applied (alerts sent)",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            consumer_lag=Gauge(
                f"{PREFIX}_consumer_lag",
                "Messages not yet committed by the worker group, per partition",
                ["topic", "partition"],
                registry=registry,
            ),
            webhook_backlog=Gauge(
                f"{PREFIX}_webhook_backlog",
                "Alerts not yet delivered or dead-lettered, per webhook subscriber, on this worker's "
                "partitions of its consumer group (sum by subscriber across workers)",
                ["subscriber"],
                registry=registry,
            ),
        )


@cache
def metrics_in(registry: CollectorRegistry = REGISTRY) -> Metrics:
    """The metrics registered in ``registry``, created on first use."""
    return Metrics.create(registry)


__all__ = ["LATENCY_BUCKETS", "PREFIX", "Metrics", "metrics_in"]
