"""A non-default setting reaches the worker subprocess (every setting is passed, not a hand-picked few)."""

from __future__ import annotations

from pathlib import Path

from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from synthetic import scenarios as sc
from synthetic.render_submission import render_submission
from tests.support.worker import WorkerProcess


def rules(raws: list[bytes], settings: Settings) -> set[str]:
    ledger = Ledger(Stores(), settings)
    return {a.rule for raw in raws for a in ledger.apply_now(parsed_filing(raw, settings)).alerts}


async def test_cluster_min_insiders_2_makes_two_sellers_a_cluster(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    two_sellers = sc.cluster_of_sales()[:2]
    raws = [render_submission(f) for f in two_sellers]
    # With the default (3 insiders), the same two sales are no cluster.
    assert "cluster_selling" not in rules(raws, Settings())

    worker = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=1, cluster_min_insiders=2)
    try:
        worker.start()
        await worker.push(
            [
                (f.accession_number.encode() if f.accession_number else None, r)
                for f, r in zip(two_sellers, raws, strict=True)
            ]
        )
        await worker.drained()
        alerts = await worker.records(worker.settings.topic_alerts)
    finally:
        worker.stop()
    clusters = [a for a in alerts if a["rule"] == "cluster_selling" and a["kind"] == "alert_raised"]
    assert len(clusters) == 1, (alerts, worker.log_tail())
    assert len(clusters[0]["owners"]) == 2
