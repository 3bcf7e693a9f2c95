"""The table stores other than the default give the same positions as the offline ledger and survive a
restart: on disk (FORM4_STORE=rocksdb://, RocksDB through rocksdict) and compressed in memory
(FORM4_STORE=compact://, rebuilt from the changelogs; issue 12, goal 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson

from streams.domain.offline import replay
from streams.domain.views import public_position
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from tests.support.worker import WorkerProcess

AS_OF = date(2026, 1, 2)
"""A fixed reference day for rolling flows, so the live and offline answers compare on one day."""


async def across_a_restart(
    kafka_bootstrap: str, tmp_path: Path, store: str, seed: int, between: Callable[[WorkerProcess], None]
) -> None:
    """200 filings, a restart (``between`` runs on the stopped worker), 100 more: positions equal the
    offline ledger of all 300, and nothing applied before the restart is applied again."""
    filings = list(generate(seed, 300))
    raws = [
        (f.accession_number.encode() if f.accession_number else None, render_submission(f)) for f in filings
    ]
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path, store=store)
    try:
        worker.start()
        await worker.push(raws[:200])
        await worker.drained()
        worker.stop()
        between(worker)
        worker.start()
        await worker.push(raws[200:])
        await worker.drained()
        live = worker.positions(AS_OF)
        restart_log = worker.logs[-1].read_text(errors="replace")
    finally:
        worker.stop()
    expected = replay(
        ((f.accession_number or "", raw) for f, (_, raw) in zip(filings, raws, strict=True)), worker.settings
    )
    assert live == orjson.loads(
        orjson.dumps({k: public_position(k, p, AS_OF) for k, p in expected.stores.positions.items() if p})
    )
    assert "duplicate filing" not in restart_log


async def test_rocksdict_store_keeps_positions_across_a_restart(kafka_bootstrap: str, tmp_path: Path) -> None:
    def on_disk(worker: WorkerProcess) -> None:
        data = tmp_path / "worker"
        assert any(data.rglob("*.sst")) or any(data.rglob("CURRENT")), "the tables were written to disk"

    await across_a_restart(kafka_bootstrap, tmp_path, "rocksdb://", 77, on_disk)


async def test_compact_store_keeps_positions_across_a_restart(kafka_bootstrap: str, tmp_path: Path) -> None:
    def nothing_on_disk(worker: WorkerProcess) -> None:
        assert not any((tmp_path / "worker").rglob("*.sst")), "compact:// keeps nothing on disk"

    await across_a_restart(kafka_bootstrap, tmp_path, "compact://", 78, nothing_on_disk)
