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
        (t, i) for t in worker.settings.source_topics for i in range(worker.settings.topic_partitions)
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


async def _commit_as_group(worker: WorkerProcess, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit ``offsets`` (partition -> offset) for ``group`` on ``topic``, as any consumer group would."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    producer = AIOKafkaProducer(bootstrap_servers=worker.settings.bootstrap_servers)
    await producer.start()
    try:
        for partition, count in offsets.items():
            for i in range(count + 1):  # one more than committed: a lag of one per partition
                await producer.send_and_wait(topic, b"{}", key=f"{i}".encode(), partition=partition)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=worker.settings.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p): o for p, o in offsets.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()


def test_lag_of_any_group_is_on_its_own_topics_and_unknown_names_are_exit_2(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """--group G: the topics G committed (here the alerts topic, as a webhook subscriber's group does),
    not the worker's; a group or topic that does not exist is one line and exit 2."""
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path)
    alerts = worker.settings.topic_alerts
    group = f"{worker.settings.app_id}-webhook-probe"
    _run(_commit_as_group(worker, group, alerts, {0: 2, 1: 1}))

    own = _lag(worker, "--json", "--group", group)
    assert own.returncode == 0, own.stderr
    body = orjson.loads(own.stdout)
    assert body["group"] == group and "webhooks" not in body
    rows = {p["partition"]: p for p in body["partitions"]}
    assert {p["topic"] for p in body["partitions"]} == {alerts}
    assert (rows[0]["committed"], rows[0]["end"], rows[0]["lag"]) == (2, 3, 1)
    assert (rows[1]["committed"], rows[1]["end"], rows[1]["lag"]) == (1, 2, 1)
    assert body["total_lag"] == 2

    on_raw = _lag(worker, "--json", "--group", group, "--topic", worker.settings.topic_raw)
    assert on_raw.returncode == 0, on_raw.stderr
    assert {p["topic"] for p in orjson.loads(on_raw.stdout)["partitions"]} == {worker.settings.topic_raw}

    for args, says in [
        (("--group", f"{group}-nobody"), f"no consumer group '{group}-nobody'"),
        (("--topic", f"{alerts}-nothing"), f"topic '{alerts}-nothing' does not exist"),
        (("--group", group, "--topic", f"{alerts}-nothing"), f"topic '{alerts}-nothing' does not exist"),
    ]:
        done = _lag(worker, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("form4 lag: ") and says in lines[0], done.stderr
