"""Prometheus metrics of the pipeline (the default registry, served with Faust's own at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "form4"

filings_parsed = Counter(f"{PREFIX}_filings_parsed", "Filings parsed, by source format", ["format"])
filings_duplicate = Counter(f"{PREFIX}_filings_duplicate", "Filings seen before and skipped", ["stage"])
dead_letters = Counter(f"{PREFIX}_dead_letters", "Messages sent to the dead-letter topic", ["reason"])
events_emitted = Counter(f"{PREFIX}_events_emitted", "form4.transaction/1 events emitted")
alerts_emitted = Counter(
    f"{PREFIX}_alerts", "Alerts emitted, by rule, severity and kind", ["rule", "severity", "kind"]
)
reconciliation_breaks = Counter(
    f"{PREFIX}_reconciliation_breaks", "Reported holdings that differ from prior holding +/- transaction"
)
positions_tracked = Gauge(f"{PREFIX}_positions_tracked", "Positions in this worker's table")
latency = Histogram(
    f"{PREFIX}_processing_latency_seconds",
    "From the raw message's Kafka timestamp to the filing applied (alerts sent)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
