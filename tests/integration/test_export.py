"""`form4 export` on the real broker: a worker processes filings, and the three datasets come out
in all three formats with exact values (Parquet read back with pyarrow: decimals exact, dates dates)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path)
    yield w
    w.stop()


def form4(worker: WorkerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args], env=worker.env, capture_output=True, text=True, timeout=300
    )


async def test_transactions_alerts_and_positions_export_exactly_in_every_format(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    worker.start()
    raws = [
        ceo_sale_xml(ticker="ACME", price="50.1234"),  # a large sale: an alert
        ceo_sale_xml(ticker="ZZZ", issuer_cik="0007654321", shares=10, price="3.5", day="2023-06-01"),
        (FIXTURES / "form4_rich.xml").read_bytes(),
    ]
    await worker.push((None, raw) for raw in raws)
    await worker.drained()
    events = await worker.records(worker.settings.topic_transactions)
    alerts = await worker.records(worker.settings.topic_alerts)
    assert events and alerts, worker.log_tail()

    for fmt in ("parquet", "csv", "jsonl"):
        done = form4(worker, "export", "transactions", "-o", str(tmp_path / f"tx.{fmt}"))
        assert done.returncode == 0, done.stderr
        assert f"{len(events)} of {len(events)} transactions" in done.stderr

    table = pq.read_table(tmp_path / "tx.parquet")
    assert table.num_rows == len(events)
    assert str(table.schema.field("shares").type) == "decimal128(38, 12)"
    assert str(table.schema.field("transaction_date").type) == "date32[day]"
    by_id = {r["event_id"]: r for r in table.to_pylist()}
    for event in events:
        row = by_id[str(event["event_id"])]
        for field in ("shares", "price_per_share", "shares_owned_following"):
            expected = event[field]
            assert row[field] == (None if expected is None else Decimal(str(expected))), (field, event)
        expected_day = event["transaction_date"]
        assert row["transaction_date"] == (
            None if expected_day is None else date.fromisoformat(str(expected_day))
        )
        assert row["ticker"] == event["issuer"]["ticker"]  # type: ignore[index]
    acme = [r for r in by_id.values() if r["ticker"] == "ACME" and r["transaction_code"] == "S"]
    assert [r["price_per_share"] for r in acme] == [Decimal("50.1234")]  # exact, not 50.12339999

    with (tmp_path / "tx.csv").open(newline="") as f:
        csv_rows = list(csv.DictReader(f))
    assert len(csv_rows) == len(events) and "price_per_share" in csv_rows[0]
    assert {r["event_id"] for r in csv_rows} == set(by_id)
    assert [orjson.loads(line) for line in (tmp_path / "tx.jsonl").read_bytes().splitlines()] == events

    # Filters: one ticker, and a date that only the 2024 trades pass.
    done = form4(worker, "export", "transactions", "--ticker", "zzz", "-o", str(tmp_path / "zzz.csv"))
    assert done.returncode == 0, done.stderr
    with (tmp_path / "zzz.csv").open(newline="") as f:
        assert {r["ticker"] for r in csv.DictReader(f)} == {"ZZZ"}
    done = form4(
        worker, "export", "transactions", "--since", "2024-01-01", "-o", str(tmp_path / "since.parquet")
    )
    assert done.returncode == 0, done.stderr
    days = pq.read_table(tmp_path / "since.parquet").column("transaction_date").to_pylist()
    assert days and all(d is None or d >= date(2024, 1, 1) for d in days)

    done = form4(worker, "export", "alerts", "-o", str(tmp_path / "alerts.parquet"))
    assert done.returncode == 0, done.stderr
    exported = pq.read_table(tmp_path / "alerts.parquet").to_pylist()
    assert [a["alert_id"] for a in exported] == [a["alert_id"] for a in alerts]
    for row, alert in zip(exported, alerts, strict=True):
        figures = alert["figures"]
        assert row["value_usd"] == Decimal(str(figures["value_usd"]))  # type: ignore[index]
        assert row["rule"] == alert["rule"] and row["ticker"] == alert["ticker"]

    url = f"http://127.0.0.1:{worker.settings.web_port}"
    positions = worker.positions()
    done = form4(worker, "export", "positions", "--url", url, "-o", str(tmp_path / "pos.parquet"))
    assert done.returncode == 0, done.stderr
    rows = {r["key"]: r for r in pq.read_table(tmp_path / "pos.parquet").to_pylist()}
    assert set(rows) == set(positions)
    for key, position in positions.items():
        shares = position.get("shares")
        assert rows[key]["shares"] == (None if shares is None else Decimal(str(shares)))
    done = form4(worker, "export", "positions", "--url", url, "-o", str(tmp_path / "pos.jsonl"))
    assert done.returncode == 0, done.stderr
    served = [orjson.loads(line) for line in (tmp_path / "pos.jsonl").read_bytes().splitlines()]
    assert {p["key"] for p in served} == set(positions)
