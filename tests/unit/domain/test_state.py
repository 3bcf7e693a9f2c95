"""The ledger's state records: every record the ledger writes survives its wire encoding unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.state import (
    WIRE_VERSION,
    Break,
    DaySales,
    FilingMeta,
    Gap,
    Position,
    PositionOwner,
    Sale,
    StateRow,
    Summary,
)
from synthetic import scenarios as sc
from synthetic.generator import generate


def _ledger_after_a_batch() -> Stores:
    # Two sellers make a cluster, so the batch fills every store, alerts and retractions included.
    ledger = Ledger(Stores(), Settings(cluster_min_insiders=2))
    filings = [*generate(11, 400), *sc.cluster_of_sales(), *sc.amended_below_threshold(), sc.late_filing()]
    for f in filings:
        ledger.apply_now(to_parsed(f, to_events(f)))
    return ledger.s


def test_every_stored_record_round_trips_through_its_wire_encoding() -> None:
    """Decoding what a record encodes gives an equal record, in every store after a mixed batch."""
    stores = _ledger_after_a_batch()
    stored: dict[str, Mapping[str, Any]] = {
        "filings": stores.filings,
        "groups": stores.groups,
        "positions": stores.positions,
        "sales": stores.sales,
        "issuer_alerts": stores.issuer_alerts,
        "alerts": stores.alerts,
    }
    for name, store in stored.items():
        assert store, f"the batch left {name} empty: the round trip would prove nothing"
        for key, record in store.items():
            assert type(record).from_wire(record.to_wire()) == record, (name, key)
    assert any(not a.active for a in stores.alerts.values()), "no retracted alert in the batch"
    assert any(f.status == "superseded" for f in stores.filings.values())
    assert any(p.summary.breaks for p in stores.positions.values())


def test_decimals_keep_their_exact_digits_and_exponent() -> None:
    """1E+3, -0, 0.000 and 12.3400 come back as the same Decimal, not just an equal number."""
    row = StateRow(
        event_id="e",
        filing_id="f",
        day=None,
        order="",
        is_holding=True,
        code=None,
        acquired_disposed=None,
        shares=Decimal("1E+3"),
        price=Decimal("-0"),
        owned_following=Decimal("0.000"),
        value_owned_following=Decimal("12.3400"),
        plan=None,
        table="derivative",
        underlying_shares=Decimal("2.50E+2"),
    )
    summary = Summary(
        shares=Decimal("0.000"),
        value_owned=None,
        underlying_shares=Decimal("-2E+1"),
        as_of=None,
        last_transaction_date=date(2024, 2, 29),
        breaks=(Break("e", Decimal("800"), Decimal("7E+2")),),
        gaps=(Gap("e", date(2020, 1, 1), date(2024, 2, 29), Decimal("1.50"), Decimal("3.000")),),
        row_count=1,
    )
    owners = (PositionOwner("name:doe jane", None, "Doe Jane A"),)
    position = Position(
        "k",
        "i",
        "0000000001",
        None,
        None,
        "o",
        owners,
        "s",
        "S",
        "derivative",
        "D",
        "D",
        None,
        None,
        (row,),
        summary,
    )
    back = Position.from_wire(position.to_wire())
    assert back == position
    got = back.rows[0]
    for value, text in zip(
        (got.shares, got.price, got.owned_following, got.value_owned_following, got.underlying_shares),
        ("1E+3", "-0", "0.000", "12.3400", "2.50E+2"),
        strict=True,
    ):
        assert value is not None and value.as_tuple() == Decimal(text).as_tuple()
    assert back.summary.underlying_shares is not None
    assert back.summary.underlying_shares.as_tuple() == Decimal("-2E+1").as_tuple()
    assert back.summary.gaps[0].reported.as_tuple() == Decimal("3.000").as_tuple()


def test_sales_keep_every_role_of_a_joint_filing() -> None:
    sale = Sale(
        day=date(2024, 4, 1),
        seller="0001+0002",
        name="Doe Jane A and Fund LP",
        roles=("10% owner", "CEO"),
        value=Decimal("151500.00"),
        shares=Decimal(1500),
        event_id="a/non_derivative/0",
        filing_id="a",
        plan=False,
    )
    day = DaySales((sale,))
    assert DaySales.from_wire(day.to_wire()) == day
    assert DaySales.from_wire(day.to_wire()).sales[0].roles == ("10% owner", "CEO")


def test_a_record_of_another_wire_format_is_refused() -> None:
    """State written by another layout fails loudly instead of decoding into wrong fields."""
    marker = FilingMeta.empty("f", "0001234567")
    assert FilingMeta.from_wire(marker.to_wire()) == marker
    other = orjson.dumps((WIRE_VERSION + 1, marker.to_tuple()))
    with pytest.raises(ValueError, match="wire format"):
        FilingMeta.from_wire(other)
