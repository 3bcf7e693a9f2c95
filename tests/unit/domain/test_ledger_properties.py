"""Properties of the ledger: the state is a function of the set of filings, not of their arrival order.

Batches come from the project's synthetic generator on a one-issuer universe with frequent
amendments and a two-seller cluster threshold, so the examples raise and retract alerts of every rule
and apply 4/As before and after the filings they amend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.records import ParsedFiling
from streams.domain.state import Position
from synthetic.generator import generate
from synthetic.universe import Universe
from tests.support.alerts import repeats, standing_ids

# Two-insider clusters of sellers and of buyers (issue 11: the batches' purchases trip the buying rules).
SETTINGS = Settings(cluster_min_insiders=2, cluster_buy_min_insiders=2)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@cache
def batch(seed: int, n: int) -> tuple[ParsedFiling, ...]:
    universe = Universe(seed, n_issuers=1)
    filings = generate(seed, n, universe=universe, per_day=3, amendment_rate=0.15)
    return tuple(to_parsed(f, to_events(f)) for f in filings)


def outcome(filings: Iterable[ParsedFiling]) -> tuple[dict[str, Position], set[str]]:
    """Positions and the ids of the standing alerts after applying ``filings`` in this order."""
    ledger = Ledger(Stores(), SETTINGS)
    published = []
    for pf in filings:
        published += [a.model_dump(mode="json") for a in ledger.apply_now(pf, NOW).alerts]
    active = {aid for aid, a in ledger.s.alerts.items() if a.active}
    # What a consumer of form4.alerts reads says the same: each alert raised, retracted, raised... in
    # turn, never twice in a row, and the last record of each says whether it stands.
    assert not repeats(published)
    assert standing_ids(published) == active
    return dict(ledger.s.positions), active


@cache
def in_order(seed: int, n: int) -> tuple[dict[str, Position], set[str]]:
    return outcome(batch(seed, n))


def test_the_generated_batches_raise_and_retract_alerts() -> None:
    """The property below is only as good as its batches: they must trip the rules and amend filings."""
    rules: set[str] = set()
    retracted = amended = 0
    for seed in range(8):
        ledger = Ledger(Stores(), SETTINGS)
        for pf in batch(seed, 25):
            alerts = ledger.apply_now(pf, NOW).alerts
            rules |= {a.rule for a in alerts}
            retracted += sum(a.kind == "alert_retracted" for a in alerts)
            amended += pf.form_type.endswith("/A")
    assert {"large_sale", "large_fraction_sold", "cluster_selling"} <= rules
    assert {"large_purchase", "cluster_buying", "first_purchase", "late_filing"} <= rules
    assert retracted and amended


def test_the_generated_batches_amend_as_amendments_are_really_filed() -> None:
    """Issue 10: the batches hold partial amendments, corrected dates, amendments naming their
    original and continuation filings, so the permutation properties below cover each of them."""
    kinds: set[str] = set()
    for seed in range(16):
        filings = batch(seed, 25)
        originals = [pf for pf in filings if not pf.form_type.endswith("/A") and pf.events]
        for pf in filings:
            remarks = pf.remarks or ""
            if "Filing 2 of 2" in remarks:
                kinds.add("continuation")
            if not pf.form_type.endswith("/A") or not pf.events:
                continue
            if any(o.filing_id in remarks for o in originals):
                kinds.add("naming the original")
            owners = {e.cik for e in pf.events[0].owners}
            for o in originals:
                if (
                    o.filing_date != pf.date_of_original_submission
                    or {e.cik for e in o.events[0].owners} != owners
                ):
                    continue
                if o.period_of_report != pf.period_of_report:
                    kinds.add("date corrected")
                if {e.table for e in pf.events} < {e.table for e in o.events}:
                    kinds.add("partial")
    assert kinds == {"continuation", "naming the original", "date corrected", "partial"}


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 25), data=st.data())
def test_any_arrival_order_gives_the_same_positions_and_standing_alerts(
    seed: int, n: int, data: st.DataObject
) -> None:
    """A permutation of a batch ends in the same positions and the same set of standing alert ids."""
    filings = batch(seed, n)
    shuffled = data.draw(st.permutations(filings), label="arrival order")
    positions, active = outcome(shuffled)
    expected_positions, expected_active = in_order(seed, n)
    assert positions == expected_positions
    assert active == expected_active


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 20), data=st.data())
def test_redelivered_filings_change_nothing(seed: int, n: int, data: st.DataObject) -> None:
    """At-least-once delivery: filings seen again, in any order, leave the state of one delivery."""
    filings = batch(seed, n)
    again = data.draw(st.lists(st.sampled_from(filings), max_size=n), label="redelivered")
    shuffled = data.draw(st.permutations([*filings, *again]), label="arrival order")
    assert outcome(shuffled) == in_order(seed, n)
