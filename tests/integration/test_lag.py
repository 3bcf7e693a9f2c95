"""`form4 lag` against the real broker: with no worker, with lag piling up, and after a worker drained."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"


def _run(coro: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _lag(worker: WorkerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", "lag", *args],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _lag_json(worker: WorkerProcess) -> dict[str, Any]:
    result = _lag(worker, "--json")
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = orjson.loads(result.stdout)
    return body


def _raw_lag(body: dict[str, Any], topic: str) -> int:
    return sum(p["lag"] for p in body["partitions"] if p["topic"] == topic)


def test_lag_without_worker_then_piling_up_then_drained(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Lag is 0 on empty topics, counts unread messages while no worker runs, and is 0 once drained."""
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path)
    raw = worker.settings.topic_raw

    empty = _lag_json(worker)
    assert empty["group"] == worker.settings.app_id
    assert {(p["topic"], p["partition"]) for p in empty["partitions"]} == {
        (t, i) for t in (raw, worker.settings.topic_parsed) for i in range(worker.settings.topic_partitions)
    }
    assert empty["total_lag"] == 0 and all(p["committed"] is None for p in empty["partitions"])
    assert set(empty["partitions"][0]) == {"topic", "partition", "committed", "end", "lag"}

    _run(
        worker.push(
            [
                (b"a", (FIXTURES / "form4_rich.xml").read_bytes()),
                (b"b", ceo_sale_xml()),
                (b"c", ceo_sale_xml(ticker="XYZ", issuer_cik="0000000777")),
            ]
        )
    )
    waiting = _lag_json(worker)
    assert _raw_lag(waiting, raw) == 3 and waiting["total_lag"] == 3
    table = _lag(worker)
    assert table.returncode == 0 and "total lag" in table.stdout and raw in table.stdout

    worker.start()
    try:
        _run(worker.drained())
    finally:
        worker.stop()
    drained = _lag_json(worker)
    assert drained["total_lag"] == 0
    assert all(p["committed"] == p["end"] for p in drained["partitions"] if p["end"])

    _run(worker.push([(b"d", ceo_sale_xml(ticker="QQQ", issuer_cik="0000000888"))]))
    assert _raw_lag(_lag_json(worker), raw) == 1


def test_lag_watch_repeats_until_stopped(kafka_bootstrap: str, tmp_path: Path) -> None:
    """--watch prints a fresh JSON object every interval until the process is stopped."""
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams", "lag", "--json", "--watch", "0.5"],
        env=worker.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(30)
    assert all(orjson.loads(line)["group"] == worker.settings.app_id for line in lines), lines
