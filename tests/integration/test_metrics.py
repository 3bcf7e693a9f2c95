"""What operators see of a running worker: /metrics (checked by promtool) and JSON log lines."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"
BAD = b"<html><body>Annual report 10-K</body></html>"


def _run(coro: Any) -> Any:
    # Module fixtures are sync; run each coroutine on a loop of its own in a helper thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture(scope="module")
def worker(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One JSON-logging worker that has processed two good filings (one alerting) and a bad one."""
    tmp = tmp_path_factory.mktemp("metrics")
    w = WorkerProcess.create(kafka_bootstrap, tmp, log_format="json")
    w.start()
    try:
        _run(
            w.push(
                [
                    (b"rich", (FIXTURES / "form4_rich.xml").read_bytes()),
                    (b"sale", ceo_sale_xml()),
                    (b"bad", BAD),
                ]
            )
        )
        _run(w.drained())
        yield w
    finally:
        w.stop()


def _scrape_until_lag_is_zero(worker: WorkerProcess, timeout: float = 60.0) -> str:
    """/metrics once the lag gauge shows the drained group (read from the broker at each scrape)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        status, body = worker.get("/metrics")
        assert status == 200, body[:300]
        text = body.decode()
        lag = {k: v for k, v in samples(text).items() if k[0] == "form4_consumer_lag"}
        if lag and not any(lag.values()):
            return text
        time.sleep(0.5)
    raise AssertionError(f"form4_consumer_lag never reached 0:\n{text[-3000:]}")


async def test_metrics_count_what_the_worker_did(worker: WorkerProcess) -> None:
    """/metrics counts parsed filings by format, dead letters by reason, events, alerts, latency and lag."""
    text = _scrape_until_lag_is_zero(worker)
    found = samples(text)
    events = await worker.records(worker.settings.topic_transactions)
    alerts = await worker.records(worker.settings.topic_alerts)
    letters = await worker.records(worker.settings.topic_dlq)
    assert total(found, "form4_filings_parsed_total", format="xml") == 2
    assert total(found, "form4_dead_letters_total", reason=str(letters[0]["reason"])) == len(letters) == 1
    assert total(found, "form4_events_emitted_total") == len(events) > 0
    assert total(found, "form4_alerts_total", rule="large_sale", kind="alert_raised") == len(alerts) == 1
    assert total(found, "form4_alerts_total", severity=str(alerts[0]["severity"])) == 1
    assert ("form4_reconciliation_breaks_total", ()) in found
    assert total(found, "form4_processing_latency_seconds_count") == 2
    lag_topics = {dict(ls)["topic"] for (n, ls) in found if n == "form4_consumer_lag"}
    # Alerts are read by each webhook subscriber's own group (form4_webhook_backlog), not the worker's.
    assert set(worker.settings.source_topics) == lag_topics
    # Faust's own sensors are on the same page, under a fixed prefix (not the app id), in seconds.
    assert total(found, "form4_faust_messages_received_total") >= 3, sorted({n for n, _ in found})
    names = {n for n, _ in found}
    # Renamed and rescaled: the runtime histogram is exposed in seconds, never Faust's milliseconds.
    assert "form4_faust_events_runtime_seconds_count" in names
    assert not any(n.endswith("_ms") or "_ms_" in n for n in names), sorted(names)
    assert found[("form4_kafka_reachable", ())] == 1
    # Every garbage collection is timed (young ones happen all the time in a working worker).
    assert total(found, "form4_gc_pause_seconds_count", generation="0") > 0, sorted(names)


def test_exposition_passes_promtool(worker: WorkerProcess) -> None:
    """`promtool check metrics` finds no problem in the worker's /metrics exposition."""
    promtool = shutil.which("promtool")
    if promtool is None:
        reason = (
            "promtool not installed: run `make tools` (Debian, as root), or apt-get install prometheus w3m"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    status, body = worker.get("/metrics")
    assert status == 200
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
    report = (result.stdout + result.stderr).decode()
    # Not one finding, Faust's sensors included (renamed to seconds under form4_faust_).
    assert result.returncode == 0 and not report.strip(), report


def test_every_metric_the_ops_kit_uses_is_scraped(worker: WorkerProcess) -> None:
    """The rules and the dashboard of docker/ ask for metrics this worker's /metrics really has."""
    from tests.unit.test_ops_kit import SYNTHETIC, dashboard_exprs, metric_names, rule_exprs

    status, body = worker.get("/metrics")
    assert status == 200
    served: set[str] = set()
    for family in text_string_to_metric_families(body.decode()):
        kinds = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ("",))
        served.update(family.name + k for k in kinds)
    used: set[str] = set()
    for expr in [*rule_exprs().values(), *dashboard_exprs()]:
        used |= metric_names(expr) - SYNTHETIC
    poller_only = {n for n in used if n.startswith("form4_edgar_")}  # the EDGAR poller's own /metrics
    assert not (used - poller_only) - served, sorted((used - poller_only) - served)


def test_json_logs_are_json_lines_with_the_message_position(worker: WorkerProcess) -> None:
    """With FORM4_LOG_FORMAT=json every log line is JSON.

    Per-message lines name topic, partition, offset.
    """
    lines = [ln for ln in worker.logs[-1].read_text().splitlines() if ln.strip()]
    records = []
    for line in lines:
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    assert all({"ts", "level", "logger", "message"} <= r.keys() for r in records)
    # One summary line per batch (issue 12: not one per filing), with the batch's tally as fields.
    parsed = [r for r in records if r["message"].startswith("parsed batch ")]
    dead = [r for r in records if r["message"].startswith("dead letter ")]
    assert sum(r.get("parsed", 0) for r in parsed) == 2 and len(dead) == 1, [r["message"] for r in records]
    assert sum(r.get("dead_letters", 0) for r in parsed) == 1
    for r in parsed + dead:
        assert r["topic"] == worker.settings.topic_raw
        assert isinstance(r["partition"], int) and isinstance(r["offset"], int)
    assert dead[0]["reason"]
