"""Flat typed rows of `form4 export`: columns, types, filters and the three file formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from parsers import parse, to_events
from streams.adapters.export_rows import COLUMNS, ExportError, RowWriter, arrow_schema, flatten, keep
from tests.support.sales import ceo_sale_xml

ALERT: dict[str, Any] = {
    "schema": "form4.alert/1",
    "kind": "alert_raised",
    "alert_id": "a1",
    "retracts": None,
    "rule": "large_sale",
    "severity": "high",
    "issuer_cik": "0000320193",
    "issuer_name": "Apple Inc.",
    "ticker": "AAPL",
    "owners": [{"cik": "0001000001", "name": "Doe Jane", "role": "CEO"}],
    "accession_numbers": ["0000950170-24-000101"],
    "event_ids": ["x/non_derivative/0", "x/non_derivative/1"],
    "plan_10b5_1": False,
    "figures": {"shares": "20000", "value_usd": "2000000.123456", "window_days": None},
    "summary": "CEO Doe Jane sold",
    "created_at": "2024-03-06T22:05:07.123456Z",
}


def events() -> list[dict[str, Any]]:
    raw = ceo_sale_xml(ticker="ACME", issuer_cik="0001234567", owner_cik="0001000001")
    return [orjson.loads(e.to_json()) for e in to_events(parse(raw))]


def test_every_column_has_a_known_kind_and_a_parquet_type() -> None:
    kinds = {"str", "int", "bool", "decimal", "date", "timestamp", "list", "json"}
    for dataset, columns in COLUMNS.items():
        names = [name for name, _ in columns]
        assert len(names) == len(set(names)), dataset
        assert {kind for _, kind in columns} <= kinds, dataset
        assert arrow_schema(dataset).names == names


def test_a_transaction_flattens_to_typed_values() -> None:
    event = events()[0]
    row = flatten("transactions", event)
    assert row["event_id"] == event["event_id"] and row["ticker"] == "ACME"
    assert row["issuer_cik"] == "0001234567" and row["owner_ciks"] == ["0001000001"]
    assert (
        isinstance(row["transaction_date"], date)
        and row["transaction_date"].isoformat() == event["transaction_date"]
    )
    assert row["shares"] == Decimal(event["shares"]) and isinstance(row["price_per_share"], Decimal)
    assert row["is_officer"] is True and row["row"] == event["row"]
    assert orjson.loads(row["footnotes"]) == event["footnotes"]


def test_an_alert_flattens_its_figures_and_owners() -> None:
    row = flatten("alerts", ALERT)
    assert row["value_usd"] == Decimal("2000000.123456") and row["shares"] == Decimal(20000)
    assert row["owner_roles"] == ["CEO"] and row["event_ids"] == ALERT["event_ids"]
    assert row["created_at"] == datetime(2024, 3, 6, 22, 5, 7, 123456, tzinfo=UTC)
    assert row["window_days"] is None and row["window_start"] is None


def test_a_position_flattens_its_holder_and_flows() -> None:
    position = {
        "schema": "form4.position/1",
        "key": "k",
        "issuer": {"cik": "0001234567", "ticker": "ACME", "name": "Acme"},
        "holder": {
            "kind": "group",
            "key": "g",
            "owners": [{"cik": "1", "name": "A"}, {"cik": None, "name": "B"}],
        },
        "shares": "100.5",
        "as_of": "2024-03-05",
        "flows": [{"days": 30, "net_shares": "-10", "sold_value_usd": "1000.25"}],
        "breaks": [{"event_id": "e", "expected": "1", "reported": "2"}],
        "gaps": [],
        "row_count": 3,
    }
    row = flatten("positions", position)
    assert (row["ticker"], row["holder_kind"], row["holder_names"]) == ("ACME", "group", ["A", "B"])
    assert row["holder_ciks"] == ["1", ""]
    assert row["net_shares_30d"] == Decimal(-10) and row["sold_value_usd_30d"] == Decimal("1000.25")
    assert row["net_shares_90d"] is None and row["break_count"] == 1 and row["gap_count"] == 0
    assert row["as_of"] == date(2024, 3, 5)


def test_too_many_decimal_places_are_refused_for_parquet_only() -> None:
    fine = ALERT | {"figures": {"value_usd": "1.500000000000000"}}  # trailing zeros: same value
    assert flatten("alerts", fine)["value_usd"] == Decimal("1.5")
    odd = ALERT | {"figures": {"value_usd": "1.0000000000001"}}
    with pytest.raises(ExportError, match="'a1'.*value_usd"):
        flatten("alerts", odd)
    assert flatten("alerts", odd, parquet_scale=False)["value_usd"] == Decimal("1.0000000000001")


def test_filters_by_ticker_and_since_on_the_trade_date() -> None:
    row = flatten("transactions", events()[0])
    day = row["transaction_date"]
    assert keep("transactions", row, day, frozenset({"ACME"}))
    assert not keep("transactions", row, day.replace(year=day.year + 1), frozenset())
    assert not keep("transactions", row, None, frozenset({"AAPL"}))
    alert = flatten("alerts", ALERT)
    assert keep("alerts", alert, date(2024, 3, 6), frozenset()) and not keep(
        "alerts", alert, date(2024, 3, 7), frozenset()
    )


def write(fmt: str, records: list[dict[str, Any]], target: Path) -> None:
    with RowWriter("alerts", fmt, target, batch_rows=1) as writer:  # type: ignore[arg-type]
        for record in records:
            writer.write(
                flatten("alerts", record, parquet_scale=fmt == "parquet"), record, orjson.dumps(record)
            )


def test_the_three_formats_round_trip(tmp_path: Path) -> None:
    second = ALERT | {"alert_id": "a2", "ticker": None, "figures": {"value_usd": "7.25"}}
    write("parquet", [ALERT, second], tmp_path / "a.parquet")
    table = pq.read_table(tmp_path / "a.parquet")
    assert str(table.schema.field("value_usd").type) == "decimal128(38, 12)"
    assert str(table.schema.field("window_start").type) == "date32[day]"
    assert table.column("value_usd").to_pylist() == [Decimal("2000000.123456"), Decimal("7.25")]
    assert table.column("ticker").to_pylist() == ["AAPL", None]

    write("csv", [ALERT, second], tmp_path / "a.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text())))
    assert [r["alert_id"] for r in rows] == ["a1", "a2"]
    assert (
        rows[0]["value_usd"] == "2000000.123456"
        and rows[0]["event_ids"] == "x/non_derivative/0; x/non_derivative/1"
    )
    assert rows[1]["ticker"] == "" and rows[0]["plan_10b5_1"] == "false"

    write("jsonl", [ALERT, second], tmp_path / "a.jsonl")
    assert [orjson.loads(line) for line in (tmp_path / "a.jsonl").read_bytes().splitlines()] == [
        ALERT,
        second,
    ]
