"""Prometheus metrics of the EDGAR poller (``form4 edgar follow|backfill``).

Registered in prometheus_client's default registry at import; served when ``FORM4_EDGAR_METRICS_PORT``
(or ``--metrics-port``) is set, by :func:`serve_metrics`. Alert rules watch the last successful poll
and the 429 answers (docker/prometheus/alerts.yml).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, start_http_server

from streams.config.settings import Settings

edgar_responses = Counter(
    "form4_edgar_responses", "HTTP answers from EDGAR, retries included, by status", ["status"]
)
edgar_polls = Counter("form4_edgar_polls", "Polls of the latest-filings feed, by result", ["result"])
edgar_last_poll = Gauge(
    "form4_edgar_last_poll_timestamp_seconds", "Unix time of the last successful feed poll"
)
edgar_filings_sent = Counter(
    "form4_edgar_filings_sent", "Filings sent to the raw topic (acknowledged by Kafka)"
)
edgar_filings_failed = Counter("form4_edgar_filings_failed", "Filings listed but not fetched")

# Pre-declared children: the series exist (at 0) from the start, so rate() and alert rules see them.
for _status in ("200", "429"):
    edgar_responses.labels(_status)
for _result in ("ok", "failed"):
    edgar_polls.labels(_result)


def serve_metrics(settings: Settings, port: int | None = None) -> int | None:
    """Serve ``/metrics`` on ``port`` (default ``settings.edgar_metrics_port``) in a daemon thread."""
    port = port or settings.edgar_metrics_port
    if port is None:
        return None
    start_http_server(port, addr=settings.web_host)
    return port


__all__ = [
    "edgar_filings_failed",
    "edgar_filings_sent",
    "edgar_last_poll",
    "edgar_polls",
    "edgar_responses",
    "serve_metrics",
]
