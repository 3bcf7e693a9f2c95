"""The on-disk table store (FORM4_STORE=rocksdb://, RocksDB through rocksdict) gives the same positions
and survives a restart."""

from __future__ import annotations

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


async def test_rocksdict_store_keeps_positions_across_a_restart(kafka_bootstrap: str, tmp_path: Path) -> None:
    """With tables on disk, positions equal the offline ledger across a restart, and nothing is redone."""
    filings = list(generate(77, 300))
    raws = [
        (f.accession_number.encode() if f.accession_number else None, render_submission(f)) for f in filings
    ]
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path, store="rocksdb://")
    try:
        worker.start()
        await worker.push(raws[:200])
        await worker.drained()
        worker.stop()
        assert any((tmp_path / "worker").rglob("*.sst")) or any((tmp_path / "worker").rglob("CURRENT"))
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
