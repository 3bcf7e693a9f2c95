"""Live filings overtake a backfill (issue 12), against the real broker and a worker process.

A backfill of synthetic submissions is pushed with ``form4 push --backfill``; live filings pushed
while it drains come out (transaction events, alerts) before the backfill's last filing does, and in
the end every filing of both lanes is applied: the positions equal an offline replay of them all.
Order is asserted, never time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from streams.adapters.consume import read_all
from streams.adapters.lag import group_lag
from streams.config.settings import Settings
from streams.domain.offline import replay
from streams.domain.state import Position
from streams.domain.views import public_position
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

REPO = Path(__file__).parents[2]
AS_OF = date(2026, 1, 2)
BACKFILL = 3000
LIVE = 6


def live_filings() -> list[tuple[str, bytes]]:
    """(accession, raw): each a $5M sale by a CEO (a large_sale alert), on issuers of their own."""
    return [
        (
            f"0009999999-26-{i:06d}",
            ceo_sale_xml(ticker=f"LV{i}", issuer_cik=f"00099{i:05d}", day=f"2025-06-{i + 2:02d}"),
        )
        for i in range(LIVE)
    ]


def all_lanes(settings: Settings) -> list[str]:
    return [
        settings.topic_raw,
        settings.topic_parsed,
        settings.topic_backfill,
        settings.topic_parsed_backfill,
    ]


async def drained(worker: WorkerProcess, timeout: float = 600.0) -> None:
    """Until the group committed everything on both lanes (``WorkerProcess.drained`` watches the live
    lane only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        lag = await group_lag(worker.settings, topics=all_lanes(worker.settings))
        if lag.total_lag == 0 and all(p.committed is not None or p.end == 0 for p in lag.partitions):
            return
        if worker.proc is not None and worker.proc.poll() is not None:
            raise RuntimeError(f"worker died:\n{worker.log_tail()}")
        await asyncio.sleep(0.5)
    raise TimeoutError(f"not drained within {timeout}s:\n{worker.log_tail()}")


def as_served(positions: Mapping[str, Position]) -> dict[str, object]:
    served = {k: public_position(k, p, AS_OF) for k, p in positions.items() if p}
    through_json: dict[str, object] = orjson.loads(orjson.dumps(served))
    return through_json


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=2)
    yield w
    w.stop()


@pytest.mark.slow
async def test_live_filings_overtake_a_backfill_and_both_lanes_end_applied(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    s = worker.settings
    folder = tmp_path / "backfill"
    folder.mkdir()
    backfill = list(generate(20261, BACKFILL))
    for f in backfill:
        (folder / f"{f.accession_number}.txt").write_bytes(render_submission(f))
    live = live_filings()

    worker.start()
    pushed = subprocess.run(
        [sys.executable, "-m", "streams", "push", "--backfill", str(folder)],
        env=worker.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.strip().endswith(f"sent {BACKFILL}, skipped 0, failed 0")

    producer = AIOKafkaProducer(bootstrap_servers=s.bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for accession, raw in live:  # one at a time, while the backfill drains
            await producer.send_and_wait(s.topic_raw, raw, key=accession.encode())
            await asyncio.sleep(0.2)
    finally:
        await producer.stop()
    await drained(worker)

    assert sorted(r.key or b"" for r in await read_all(s, s.topic_raw)) == [a.encode() for a, _ in live]
    assert len(await read_all(s, s.topic_backfill)) == BACKFILL
    live_ids = {a for a, _ in live}
    first_event: dict[str, int] = {}
    for r in await read_all(s, s.topic_transactions):
        accession = str(orjson.loads(r.value)["accession_number"])
        first_event[accession] = min(r.timestamp, first_event.get(accession, r.timestamp))
    assert live_ids <= set(first_event), "a live filing without events"
    backfill_out = sorted(t for a, t in first_event.items() if a not in live_ids)
    last_live = max(first_event[a] for a in live_ids)
    # The backfill had not drained when the last live filing came out: it overtook what was left.
    still_queued = sum(1 for t in backfill_out if t > last_live)
    assert still_queued > 0, f"every backfill filing came out before the live ones ({len(backfill_out)})"

    alerts = [
        (r.timestamp, set(orjson.loads(r.value)["accession_numbers"]))
        for r in await read_all(s, s.topic_alerts)
    ]
    live_alerts = {a: min(t for t, accessions in alerts if a in accessions) for a in live_ids}
    backfill_alerts = [t for t, accessions in alerts if not live_ids & accessions]
    # The ledger too: backfill alerts still came after every live filing's alert.
    assert sum(1 for t in backfill_alerts if t > max(live_alerts.values())) > 0

    # Both lanes end applied, exactly as one offline pass over every filing, in any order.
    offline = replay(
        [(f"{f.accession_number}.txt", render_submission(f)) for f in backfill]
        + [(f"{a}.xml", raw) for a, raw in live],
        s,
    )
    assert not offline.failures
    assert worker.positions(AS_OF) == as_served(offline.stores.positions)
    worker.stop()
    assert "backfill lane paused" in worker.log_tail(10**7)
