"""``GET /metrics``: our metrics and Faust's sensors, in names ``promtool check metrics`` accepts.

Faust's Prometheus sensors (``faust.sensors.prometheus``) are named after the app id (so a dashboard
would depend on ``FORM4_APP_ID``) and observe latencies in milliseconds (``events_runtime_ms`` is
refused by promtool: "abbreviated units"; Prometheus' base unit is the second). They are created
here in a private registry under the fixed prefix ``form4_faust`` and re-exposed through
:class:`SecondsCollector`, which renames every Faust histogram to ``<name>_seconds`` and scales its
bucket bounds and sum by 1/1000 (counts are unchanged: the transformation is exact).

The lag gauge is read from the broker at scrape time (:class:`KafkaProbe`), not by a timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import faust
from aiohttp.web import Response as AiohttpResponse
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from streams.worker.agents.lag_monitor import KafkaProbe, KafkaProbeCollector

FAUST_PREFIX = "form4_faust"
SCRAPE_MAX_AGE = 1.0
"""Seconds a broker reading may be reused by a scrape: two Prometheus servers share one reading."""


def _seconds_name(name: str) -> str:
    return name.removesuffix("_ms") + "_seconds"


def _scaled_le(value: str) -> str:
    return value if value in ("+Inf", "Inf") else repr(float(value) / 1000)


class SecondsCollector(Collector):
    """Faust's metrics from ``source``, histograms renamed to ``*_seconds`` and scaled to seconds."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            if family.type != "histogram":
                yield family
                continue
            name = _seconds_name(family.name)
            out = Metric(name, family.documentation.replace("(ms)", "").strip() + " (seconds)", "histogram")
            for s in family.samples:
                suffix = s.name.removeprefix(family.name)
                labels = dict(s.labels)
                value = s.value
                if suffix == "_bucket":
                    labels["le"] = _scaled_le(labels["le"])
                elif suffix == "_sum":
                    value = value / 1000
                out.samples.append(Sample(name + suffix, labels, value, s.timestamp, s.exemplar))
            yield out

    def describe(self) -> Iterator[Metric]:
        # The names, so the registry refuses a clash at registration rather than at scrape time.
        for family in self.source.collect():
            name = _seconds_name(family.name) if family.type == "histogram" else family.name
            yield Metric(name, family.documentation, family.type)


def setup_faust_sensors(app: faust.App, registry: CollectorRegistry) -> FaustMetrics:
    """Faust's Prometheus monitor on ``app``, exposed in ``registry`` under :data:`FAUST_PREFIX`."""
    private = CollectorRegistry(auto_describe=True)
    faust_metrics = FaustMetrics.create(private, FAUST_PREFIX)
    app.monitor = PrometheusMonitor(metrics=faust_metrics)
    registry.register(SecondsCollector(private))
    return faust_metrics


def register(app: faust.App, registry: CollectorRegistry, probe: KafkaProbe) -> type[View]:
    """``GET /metrics`` on ``app``: Faust's sensors and ours, with the lag read at scrape time."""
    setup_faust_sensors(app, registry)
    registry.register(KafkaProbeCollector(probe))

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            # Bounded by FORM4_KAFKA_PROBE_TIMEOUT_SECONDS: a down broker slows a scrape, never hangs it.
            await probe.read(max_age=SCRAPE_MAX_AGE)
            # aiohttp's own Response: the exposition's content type carries a version and a charset.
            body = generate_latest(registry)
            return cast(Response, AiohttpResponse(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST}))

    return MetricsView


__all__ = ["FAUST_PREFIX", "SecondsCollector", "register", "setup_faust_sensors"]
