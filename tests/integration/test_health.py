"""Health that tells the truth: a worker whose broker goes away says so, answers POST /filings with a
503 instead of hanging, and recovers when the broker is back.

The broker here is the test's own jar broker (not the session's shared one), since the test stops it.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.config.settings import Settings
from streams.localbroker.broker import BrokerError, LocalBroker, free_port
from streams.worker.watchdog import EXIT_STALLED
from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

CLIENT_TIMEOUT = 30.0
"""The HTTP client's own timeout: a POST /filings that hangs fails the test instead of hanging it."""


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    local = LocalBroker(Settings(data_dir=tmp_path / "kafka", kafka_bootstrap=f"127.0.0.1:{free_port()}"))
    try:
        local.start(timeout=180)
    except BrokerError as exc:
        reason = f"no local Kafka broker for this test: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield local
    finally:
        local.stop()


def post_filing(worker: WorkerProcess, raw: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{worker.settings.web_port}/filings", data=raw, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as answer:
            return answer.status, orjson.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def wait_for_status(
    worker: WorkerProcess, path: str, status: int, patience: float = 120.0
) -> dict[str, object]:
    deadline = time.monotonic() + patience
    last: tuple[int, bytes] = (0, b"")
    while time.monotonic() < deadline:
        last = worker.get(path)
        if last[0] == status:
            return orjson.loads(last[1])  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(
        f"{path} never answered {status}; last {last[0]} {last[1][:500]!r}\n{worker.log_tail()}"
    )


def test_ready_and_ingest_follow_the_broker_down_and_back(broker: LocalBroker, tmp_path: Path) -> None:
    bootstrap = broker.settings.kafka_bootstrap
    (tmp_path / "worker").mkdir()
    worker = WorkerProcess.create(
        bootstrap, tmp_path / "worker", kafka_probe_timeout_seconds=2.0, kafka_send_timeout_seconds=3.0
    )
    worker.start()
    try:
        ready = wait_for_status(worker, "/ready", 200)
        partitions = ready["assigned_partitions"]
        assert isinstance(partitions, list) and partitions
        assert all(set(p) == {"topic", "partition"} and isinstance(p["partition"], int) for p in partitions)
        assert post_filing(worker, ceo_sale_xml(owner_cik="0001000011"))[0] == 202

        broker.stop()
        down = wait_for_status(worker, "/ready", 503)
        assert down["kafka_reachable"] is False and "cannot reach Kafka" in str(down["reason"])
        assert worker.get("/health")[0] == 200  # alive, only not ready
        status, body = post_filing(worker, ceo_sale_xml(owner_cik="0001000012"))
        assert status == 503 and body["reason"] == "kafka_unavailable", body

        broker.start(timeout=180)
        wait_for_status(worker, "/ready", 200, patience=180)
        deadline = time.monotonic() + 120
        while (status := post_filing(worker, ceo_sale_xml(owner_cik="0001000013"))[0]) != 202:
            assert time.monotonic() < deadline, f"POST /filings still {status} after the broker came back"
            time.sleep(1)
    finally:
        worker.stop()


def test_a_worker_told_to_stop_after_its_broker_went_away_exits(broker: LocalBroker, tmp_path: Path) -> None:
    """`form4 broker stop`, then SIGTERM to the worker: Faust's shutdown would wait for Kafka forever
    (its consumer thread dies sending LeaveGroup); the worker exits after FORM4_STOP_TIMEOUT_SECONDS."""
    (tmp_path / "worker").mkdir()
    worker = WorkerProcess.create(
        broker.settings.kafka_bootstrap,
        tmp_path / "worker",
        kafka_probe_timeout_seconds=2.0,
        stop_timeout_seconds=5.0,
    )
    worker.start()
    try:
        wait_for_status(worker, "/ready", 200)
        broker.stop()
        wait_for_status(worker, "/ready", 503)
        assert worker.proc is not None
        os.killpg(worker.proc.pid, signal.SIGTERM)
        code = worker.proc.wait(60)  # raises if it has not exited: without the deadline it never does
        log = worker.log_tail(20000)
        assert code in (0, EXIT_STALLED), log
        if code == EXIT_STALLED:
            assert "stop: not done after 5 s (FORM4_STOP_TIMEOUT_SECONDS" in log, log
    finally:
        worker.stop()
