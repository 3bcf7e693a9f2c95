"""``GET /health`` (liveness) and ``GET /ready`` (readiness) of a worker.

``/health`` answers 200 whenever the process and its event loop run: it is what a supervisor should
restart on. It does not look at Kafka, since restarting a worker does not bring a broker back.

``/ready`` answers 200 only when the worker can do its work: its tables are recovered, it holds
partitions, and the broker answered a probe just now (within ``FORM4_KAFKA_PROBE_TIMEOUT_SECONDS``);
otherwise 503 with the reasons. A spare worker (more workers than partitions) is not ready, by design:
it has nothing to serve.
"""

from __future__ import annotations

import time
from typing import Any, cast

import faust
from faust.exceptions import ConsumerNotStarted
from faust.tables.manager import TableManager
from faust.web import Request, Response, View

from streams.config.settings import Settings
from streams.worker.agents.lag_monitor import KafkaProbe

READY_MAX_AGE = 1.0
"""Seconds a broker reading may be reused by /ready (probes of several checkers arrive together)."""


def assigned_partitions(app: faust.App) -> list[dict[str, Any]]:
    """The worker's assigned partitions as ``{topic, partition}`` objects, sorted."""
    try:
        assignment = app.consumer.assignment()
    except ConsumerNotStarted:  # still starting: nothing assigned yet
        return []
    return [{"topic": tp.topic, "partition": tp.partition} for tp in sorted(assignment)]


def tables_recovered(app: faust.App) -> bool:
    tables = cast(TableManager, app.tables)  # TableManagerT does not declare its recovery
    return bool(tables.recovery.completed.is_set()) if tables else False


def register(app: faust.App, settings: Settings, probe: KafkaProbe) -> list[type[View]]:
    """``/health`` and ``/ready`` on ``app``."""
    started = time.monotonic()

    @app.page("/health")
    class HealthView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            # Answering at all proves the event loop turns; nothing here may block or wait on I/O.
            return self.json({"status": "ok", "uptime_seconds": round(time.monotonic() - started, 1)})

    @app.page("/ready")
    class ReadyView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            reasons: list[str] = []
            recovered = tables_recovered(app)
            if not recovered:
                reasons.append("tables are still recovering from their changelog topics")
            assigned = assigned_partitions(app)
            if not assigned:
                reasons.append("no partitions assigned (rebalancing, or a spare worker)")
            reading = await probe.read(max_age=READY_MAX_AGE)
            if not reading.reachable:
                reasons.append(f"cannot reach Kafka at {settings.kafka_bootstrap}: {reading.error}")
            body = {
                "ready": not reasons,
                "reason": "; ".join(reasons) or None,
                "reasons": reasons,
                "kafka_reachable": reading.reachable,
                "tables_recovered": recovered,
                "assigned_partitions": assigned,
            }
            return self.json(body, status=503 if reasons else 200)

    return [HealthView, ReadyView]


__all__ = ["assigned_partitions", "register", "tables_recovered"]
