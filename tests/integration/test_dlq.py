"""`form4 dlq list|replay` on the real broker: what the worker dead-lettered is listed, what parses
now is replayed keyed as the original, and replaying twice changes nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from streams.adapters.consume import read_all
from streams.domain.records import DeadLetter
from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

KEY = "0000950170-24-000777"


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path)
    yield w
    w.stop()


def form4(worker: WorkerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = worker.env | {"FORM4_KAFKA_BOOTSTRAP": "127.0.0.1:1"}  # --bootstrap-server must win
    bootstrap = worker.settings.kafka_bootstrap
    return subprocess.run(
        [sys.executable, "-m", "streams", *args, "--bootstrap-server", bootstrap],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_dead_letters_are_listed_and_replayed_idempotently(worker: WorkerProcess) -> None:
    worker.start()
    s = worker.settings
    await worker.push([(b"bad-1", b"Minutes of the annual meeting of shareholders.")])
    await worker.drained()
    # A filing an older parser refused: its dead letter carries bytes that parse today.
    fixed = ceo_sale_xml(ticker="FIXD", issuer_cik="0005550001")
    letter = DeadLetter(
        reason="malformed_xml",
        error="refused by an older parser",
        where="/ownershipDocument",
        source_topic=s.topic_raw,
        source_partition=0,
        source_offset=41,
        source_key=KEY,
        original_b64=DeadLetter.encode_original(fixed),
        original_size=len(fixed),
        failed_at=datetime(2024, 3, 6, 12, tzinfo=UTC),
    )
    producer = AIOKafkaProducer(bootstrap_servers=s.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for _ in range(2):  # dead-lettered twice (at-least-once): replayed once
            await producer.send_and_wait(s.topic_dlq, letter.to_json(), key=KEY.encode())
    finally:
        await producer.stop()

    listed = form4(worker, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    records = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["reason"] for r in records) == ["malformed_xml", "malformed_xml", "not_ownership_form"]
    real = next(r for r in records if r["reason"] == "not_ownership_form")
    assert (real["source_topic"], real["source_key"]) == (s.topic_raw, "bad-1")
    assert real["original_size"] == len(b"Minutes of the annual meeting of shareholders.")
    assert "original_b64" not in real and {"failed_at", "where", "source_offset", "dlq_offset"} <= set(real)
    table = form4(worker, "dlq", "list", "--reason", "not_ownership_form")
    assert (
        table.returncode == 0 and "not_ownership_form" in table.stdout and "malformed_xml" not in table.stdout
    )

    replayed = form4(worker, "dlq", "replay")
    assert replayed.returncode == 1, replayed.stderr  # one still fails: partly done
    assert "pushed 1 of 3" in replayed.stdout and "still fails (not_ownership_form)" in replayed.stderr
    await worker.drained()
    raw = await read_all(s, s.topic_raw)
    events = await worker.records(s.topic_transactions)
    dead = await worker.records(s.topic_dlq)
    alerts = await worker.records(s.topic_alerts)
    fixed_events = [e for e in events if e["issuer"]["ticker"] == "FIXD"]  # type: ignore[index]
    assert fixed_events and alerts, worker.log_tail()
    keys = [r.key for r in raw]
    assert keys.count(KEY.encode()) == 1  # keyed as the original

    again = form4(worker, "dlq", "replay", "--reason", "malformed_xml", "--since", "2024-03-06")
    assert again.returncode == 0, again.stderr
    assert "pushed 1 of 2" in again.stdout
    await worker.drained()
    # The filing was applied once: no new event, alert or dead letter; only the raw copy is new.
    assert await worker.records(s.topic_transactions) == events
    assert await worker.records(s.topic_alerts) == alerts
    assert await worker.records(s.topic_dlq) == dead
    assert len(await read_all(s, s.topic_raw)) == len(raw) + 1
