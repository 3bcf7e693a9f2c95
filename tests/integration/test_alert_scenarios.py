"""Every alert rule on the live worker: hand-made scenarios in, the expected alerts out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from synthetic import scenarios as sc
from synthetic.render_submission import render_submission
from tests.support.contracts import validate_all
from tests.support.worker import WorkerProcess


async def test_each_rule_fires_on_the_live_worker_and_an_amendment_retracts(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """CEO $2M sale, 30% sale, liquidation, cluster, plan and exercise-and-sell give their alerts.

    A 4/A retracts.
    """
    original, retracting = sc.amended_below_threshold()
    filings = [
        original,
        sc.director_30pct_sale(),
        sc.liquidation_to_zero(),
        *sc.cluster_of_sales(),
        sc.plan_sale(),
        sc.exercise_and_sell(),
        sc.late_filing(),
    ]
    worker = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=2)
    try:
        worker.start()
        await worker.push(
            [(f.accession_number.encode(), render_submission(f)) for f in filings if f.accession_number]
        )
        await worker.drained()
        await worker.push([(b"0000950170-24-000502", render_submission(retracting))])
        await worker.drained()
        alerts = await worker.records(worker.settings.topic_alerts)
        shown = subprocess.run(
            [sys.executable, "-m", "streams", "positions", "--issuer", "ACME"],
            env=worker.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        as_json = subprocess.run(
            [
                sys.executable,
                "-m",
                "streams",
                "positions",
                "--issuer",
                "1234567",
                "--owner",
                sc.CEO.cik or "",
                "--json",
            ],
            env=worker.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        worker.stop()
    validate_all("alert", alerts)
    # `form4 positions` reads the live table: the CEO's restated holding, the CFO's liquidation.
    assert "Doe Jane A" in shown and "Roe Richard" in shown
    ceo = orjson.loads(as_json)["positions"]
    assert [(p["security"], p["shares"], p["as_of"]) for p in ceo] == [
        ("common stock", "175000", "2024-05-06")
    ]
    rules = {
        (a["rule"], a["severity"], a["accession_numbers"][0]) for a in alerts if a["kind"] == "alert_raised"
    }
    assert ("large_sale", "critical", "0000950170-24-000101") in rules
    assert ("large_fraction_sold", "high", "0000950170-24-000102") in rules
    assert ("liquidation", "critical", "0000950170-24-000103") in rules
    assert ("large_sale", "high", "0000950170-24-000401") in rules  # exercise-and-sell, one step down
    assert any(a["rule"] == "cluster_selling" and len(a["figures"]["cluster_members"]) >= 3 for a in alerts)
    assert not any("0000950170-24-000301" in a["accession_numbers"] for a in alerts)  # small plan sale
    retractions = [a for a in alerts if a["kind"] == "alert_retracted"]
    first = next(a for a in alerts if a["accession_numbers"] == ["0000950170-24-000101"])
    assert [r["retracts"] for r in retractions] == [first["alert_id"]]
