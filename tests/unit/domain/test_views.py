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


def test_a_position_is_served_as_exact_strings_without_its_rows() -> None:
    """The JSON shape users and the integration tests compare: decimals as strings, dates ISO, no rows."""
    stores = _stores(*_director_sales())
    served = orjson.loads(orjson.dumps(public_position(DIRECTOR_KEY, stores.positions[DIRECTOR_KEY])))
    window = {
        "acquired_shares": "0",
        "disposed_shares": "200",
        "net_shares": "-200",
        "bought_value_usd": "0",
        "sold_value_usd": "2000.00",
    }
    assert served == {
        "key": DIRECTOR_KEY,
        "issuer": "0001234567",
        "issuer_cik": "0001234567",
        "issuer_name": "Acme Widgets, Inc.",
        "ticker": "ACME",
        "owner": "0001000003",
        "owner_name": "Poe Edgar",
        "security": "common stock",
        "ownership": "D",
        "shares": "700",
        "value_owned": None,
        "as_of": "2024-08-08",
        "last_transaction_date": "2024-08-08",
        "windows": {"30": window, "90": window, "365": window},
        "breaks": [
            {"event_id": "0000950170-24-000902/non_derivative/0", "expected": "800", "reported": "700"}
        ],
        "row_count": 2,
    }


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
