"""SIGKILL in the middle of a large push: the tables recover from their changelogs and the result
equals an uninterrupted run. Nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import orjson
import pytest

from streams.domain.offline import replay
from streams.domain.views import public_position
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from tests.support.alerts import standing_ids
from tests.support.contracts import validate_all
from tests.support.worker import WorkerProcess

AS_OF = date(2026, 1, 2)
"""A fixed reference day for rolling flows, so the live and offline answers compare on one day."""

N_FILINGS = 20_000


@pytest.mark.slow
async def test_sigkill_mid_push_recovers_to_the_uninterrupted_result(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """After a SIGKILL and restart, positions and standing alerts equal the offline, uninterrupted run."""
    filings = list(generate(20261125, N_FILINGS))
    raws = [
        (f.accession_number.encode() if f.accession_number else None, render_submission(f)) for f in filings
    ]
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=3)
    try:
        worker.start()
        await worker.push(raws)
        # Let it get well into the batch, then kill it without any chance to commit or flush.
        for _ in range(600):
            applied = orjson.loads(worker.get("/stats")[1] or b"{}").get("filings_applied", 0)
            if applied >= N_FILINGS // 4:
                break
            await asyncio.sleep(0.5)
        assert applied >= N_FILINGS // 4, worker.log_tail()
        worker.kill()
        worker.start()
        await worker.drained(timeout=1200)

        expected = replay(
            ((f.accession_number or "", raw) for f, (_, raw) in zip(filings, raws, strict=True)),
            worker.settings,
        )
        assert not expected.failures
        live = worker.positions(AS_OF)
        offline = orjson.loads(
            orjson.dumps({k: public_position(k, p, AS_OF) for k, p in expected.stores.positions.items() if p})
        )
        assert live.keys() == offline.keys()
        assert live == offline
        validate_all("position", list(live.values()))
        alerts = await worker.records(worker.settings.topic_alerts)
        validate_all("alert", alerts)
        # At-least-once: a crash may repeat an alert's record, but what stands is what a clean run leaves.
        assert standing_ids(alerts) == expected.active_alert_ids
        events = await worker.records(worker.settings.topic_transactions)
        expected_events = sum(len(f.rows) for f in filings)
        # At-least-once: a crash may repeat an event (same id), but none may be missing.
        assert {e["event_id"] for e in events} == {
            f"{f.filing_id}/{r.table}/{r.index}" for f in filings for r in f.rows
        }
        assert len(events) >= expected_events
    finally:
        worker.stop()
