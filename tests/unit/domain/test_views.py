"""What ``GET /positions`` and ``GET /stats`` serve of the state (and ``form4 positions`` prints)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from parsers import to_events
from parsers.models import Filing
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.views import find_positions, public_position, state_stats
from synthetic import scenarios as sc
from tests.support.contracts import validate

DIRECTOR_KEY = "0001234567|0001000003|common stock|D"


def _stores(*filings: Filing) -> Stores:
    ledger = Ledger(Stores(), Settings())
    for f in filings:
        ledger.apply_now(to_parsed(f, to_events(f)))
    return ledger.s


def _director_sales() -> tuple[Filing, Filing]:
    day1, day2 = date(2024, 8, 1), date(2024, 8, 8)
    return (
        sc.filing(sc.DIRECTOR, [sc.sale_row("100", "10.00", "900", day1)], day1, "0000950170-24-000901"),
        sc.filing(sc.DIRECTOR, [sc.sale_row("100", "10.00", "700", day2)], day2, "0000950170-24-000902"),
    )


def test_a_position_is_served_as_a_position_record_without_its_rows() -> None:
    """The JSON shape users and the integration tests compare: form4.position/1, exact strings, no rows.

    Amounts carry no trailing zeros ("1000", not "1000.00"): one amount has one representation whichever
    format of a filing brought it, so positions never depend on arrival order.
    """
    stores = _stores(*_director_sales())
    served = orjson.loads(
        orjson.dumps(public_position(DIRECTOR_KEY, stores.positions[DIRECTOR_KEY], date(2024, 8, 31)))
    )
    validate("position", served)

    def flow(days: int, start: str, disposed: str, sold: str) -> dict[str, Any]:
        net = f"-{disposed}" if disposed != "0" else "0"
        return {
            "days": days,
            "start": start,
            "end": "2024-08-31",
            "acquired_shares": "0",
            "disposed_shares": disposed,
            "net_shares": net,
            "bought_value_usd": "0",
            "sold_value_usd": sold,
            "net_underlying_shares": None,
        }

    assert served == {
        "schema": "form4.position/1",
        "key": DIRECTOR_KEY,
        "issuer": {"cik": "0001234567", "ticker": "ACME", "name": "Acme Widgets, Inc."},
        "holder": {
            "kind": "owner",
            "key": "0001000003",
            "owners": [{"cik": "0001000003", "name": "Poe Edgar"}],
        },
        "security_title": "Common Stock",
        "security": "common stock",
        "table": "non_derivative",
        "direct_indirect": "D",
        "nature_of_ownership": None,
        "vehicle": None,
        "shares": "700",
        "value_owned": None,
        "underlying_shares": None,
        "as_of": "2024-08-08",
        "last_transaction_date": "2024-08-08",
        "flows_as_of": "2024-08-31",
        # 2024-08-01 is 31 days before the reference day: out of the 30-day window, in the others.
        "flows": [
            flow(30, "2024-08-02", "100", "1000"),
            flow(90, "2024-06-03", "200", "2000"),
            flow(365, "2023-09-02", "200", "2000"),  # 2024 is a leap year,
        ],
        "last_event_id": "0000950170-24-000902/non_derivative/0",
        "breaks": [
            {"event_id": "0000950170-24-000902/non_derivative/0", "expected": "800", "reported": "700"}
        ],
        "gaps": [],
        "row_count": 2,
    }


def test_flows_end_on_the_reference_day_not_on_the_last_trade() -> None:
    """Read a year later, the same position has sold nothing in any window."""
    stores = _stores(*_director_sales())
    later = public_position(DIRECTOR_KEY, stores.positions[DIRECTOR_KEY], date(2025, 9, 1))
    assert later["flows_as_of"] == "2025-09-01"
    assert [f["disposed_shares"] for f in later["flows"]] == ["0", "0", "0"]


def keys(found: list[dict[str, Any]]) -> list[str]:
    return [p["key"] for p in found]


def test_positions_are_found_by_cik_or_ticker_and_owner() -> None:
    stores = _stores(*_director_sales(), sc.late_filing())
    everyone = ["0001234567|0001000002|common stock|D", DIRECTOR_KEY]
    assert keys(find_positions(stores.positions, "1234567", None)) == everyone
    assert keys(find_positions(stores.positions, "acme", None)) == everyone
    assert keys(find_positions(stores.positions, "ACME", "1000003")) == [DIRECTOR_KEY]
    assert find_positions(stores.positions, "ZZZ", None) == []


def test_stats_count_filings_positions_and_alerts() -> None:
    """An amended $2M sale: one filing applied, one superseded, one alert standing, one retracted."""
    stats = state_stats(_stores(*sc.amended_smaller_sale(), *_director_sales()))
    assert stats == {
        "filings_applied": 3,
        "filings_superseded": 1,
        "positions": 2,
        "positions_with_breaks": 1,
        "alerts_active": 1,
        "alerts_retracted": 1,
    }
