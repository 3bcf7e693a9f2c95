"""Issue 12: positions keep their rows packed and grow by their new rows only, with nothing changed.

A position updated filing by filing (:func:`positions.grown` when the new rows come after its own,
:func:`positions.rebuilt` otherwise) must be exactly the position rebuilt from all of its rows at once:
the same summary, breaks and gaps, the same packed rows and the same chain. Packing keeps every field
of every row, whatever the shape of its ids; and a position written in wire format 2 (before
packing) is read back as the same position.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.positions import grown, packed_position, rebuilt, sort_rows
from streams.domain.state import (
    EMPTY_ROWS,
    FilingMeta,
    Position,
    StateRow,
    Summary,
    pack_rows,
    unpack_rows,
)
from synthetic.generator import generate
from synthetic.universe import Universe

SETTINGS = Settings()
TOLERANCE, GAP_DAYS = SETTINGS.reconcile_tolerance_shares, SETTINGS.coverage_gap_days
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _ledger(order: str) -> Ledger:
    filings = [to_parsed(f, to_events(f)) for f in generate(5, 240, universe=Universe(5, n_issuers=2))]
    if order == "shuffled":
        random.Random(5).shuffle(filings)
    ledger = Ledger(Stores(), SETTINGS)
    for pf in filings:
        ledger.apply_now(pf, NOW)
    return ledger


def test_positions_updated_filing_by_filing_are_the_positions_rebuilt_from_their_rows() -> None:
    """In date order (rows grow at the end) and shuffled (rows land among older ones, amendments
    arrive before their originals), every position equals the one rebuilt from its rows."""
    for order in ("dated", "shuffled"):
        positions = _ledger(order).s.positions
        assert positions
        grew = 0
        for key, pos in positions.items():
            assert rebuilt(pos, pos.rows, TOLERANCE, GAP_DAYS) == pos, (order, key)
            grew += pos.summary.row_count > 1
        assert grew, "no position with more than one row: the test would prove nothing"


def test_version_2_positions_are_read_as_the_positions_they_were() -> None:
    """A worker restarting on a changelog written before packing reads each record as it was."""
    stores = _ledger("dated").s
    for pos in stores.positions.values():
        assert Position.from_wire(orjson.dumps((2, _version_2(pos)))) == pos
    for meta in stores.filings.values():  # records of an unchanged layout: read as they are
        assert FilingMeta.from_wire(orjson.dumps((2, meta.to_tuple()))) == meta


def _version_2(pos: Position) -> list[Any]:
    """A position as wire format 2 wrote it: rows as StateRow tuples, security and ownership apart."""
    return [
        pos.key,
        pos.issuer,
        pos.issuer_cik,
        pos.issuer_name,
        pos.ticker,
        pos.holder,
        [o.to_tuple() for o in pos.owners],
        pos.security,
        pos.security_title,
        pos.table,
        pos.ownership,
        pos.direct_indirect,
        pos.nature,
        pos.vehicle,
        [r.to_tuple() for r in pos.rows],
        pos.summary.to_tuple(),
        pos.names_from,
    ]


def _row(event: str, filing: str, day: date | None, order: str, table: str = "non_derivative") -> StateRow:
    return StateRow(
        event,
        filing,
        day,
        order,
        False,
        "S",
        "D",
        Decimal("1E+3"),
        Decimal("12.3400"),
        Decimal("-0"),
        None,
        True,
        table,
        Decimal("2.50E+2"),
    )


def test_packed_rows_keep_every_field_whatever_the_shape_of_their_ids() -> None:
    rows = (
        _row(
            "0001-24-000001/non_derivative/3",
            "0001-24-000001",
            date(2024, 1, 2),
            "t|0001-24-000001|non_derivative|0003",
        ),
        _row(
            "0001-24-000001/derivative/03",
            "0001-24-000001",
            None,
            "t|0001-24-000001|derivative|0003",
            "derivative",
        ),
        _row(
            "0001-24-000001/derivative/7", "0001-24-000001", date(2024, 1, 3), "another order", "derivative"
        ),
        _row("e", "sha256-ab", date(2024, 1, 4), "", "a table of its own"),
        _row("sha256-ab/non_derivative/²", "sha256-ab", date(2024, 1, 5), "x"),
    )
    packed, filings = pack_rows(rows)
    assert filings == ("0001-24-000001", "sha256-ab")
    back = unpack_rows(packed, filings)
    assert back == rows
    for got in back:
        assert got.shares is not None and got.shares.as_tuple() == Decimal("1E+3").as_tuple()
        assert got.owned_following is not None and str(got.owned_following) == "-0"
    # Rows packed after others: what packing them all at once gives.
    first, known = pack_rows(rows[:2])
    assert pack_rows(rows[2:], first, known) == (packed, filings)


# --- any rows, in any batches -----------------------------------------------------------------
_CODES = st.sampled_from(["S", "P", "A", "M", "G", "F"])


@st.composite
def _histories(draw: st.DrawFn) -> list[list[StateRow]]:
    """Batches of rows, one filing each, as the ledger applies them: few days and few figures, so
    rows repeat one another, runs form and figures break."""
    batches = []
    for f in range(draw(st.integers(1, 7))):
        rows = []
        for n in range(draw(st.integers(1, 4))):
            undated = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
            day = None if undated else date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
            following = draw(st.one_of(st.none(), st.integers(0, 4).map(lambda k: Decimal(k * 100))))
            rows.append(
                StateRow(
                    event_id=f"f{f}/non_derivative/{n}",
                    filing_id=f"f{f}",
                    day=day,
                    order=f"2024-0{draw(st.integers(1, 9))}|f{f}|non_derivative|{n:04d}",
                    is_holding=draw(st.booleans()),
                    code=draw(_CODES),
                    acquired_disposed=draw(st.sampled_from(["A", "D", None])),
                    shares=Decimal(draw(st.integers(0, 3)) * 100),
                    price=None,
                    owned_following=following,
                    value_owned_following=None,
                    plan=None,
                    table="non_derivative",
                    underlying_shares=None,
                )
            )
        batches.append(rows)
    return batches


@settings(max_examples=300, deadline=None)
@given(_histories(), st.integers(0, 400))
def test_a_position_grown_batch_by_batch_is_the_position_rebuilt_from_all_its_rows(
    batches: list[list[StateRow]], gap_days: int
) -> None:
    empty = Position(
        "i|h|s|D", "i", "i", None, None, "h", (), None, "non_derivative", "D", None, None, EMPTY_ROWS, _NONE
    )
    pos, every = empty, []
    for batch in batches:
        every += batch
        pos = grown(pos, sort_rows(batch), Decimal(1), gap_days) or rebuilt(
            pos, [*pos.rows, *batch], Decimal(1), gap_days
        )
    assert pos == rebuilt(empty, every, Decimal(1), gap_days)
    assert pos == packed_position(pos, every)


_NONE = Summary(None, None, None, None, None, (), (), 0)
