"""A failing ledger apply leaves no partial state: the journal undoes every write it made (issue 13)."""

from __future__ import annotations

import copy
from decimal import Decimal, Overflow
from typing import Any

import pytest

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.journal import Journal
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.records import ParsedFiling
from synthetic import scenarios as sc


def _snapshot(stores: Stores) -> dict[str, dict[str, object]]:
    return {name: dict(store) for name, store in vars(stores).items()}


def _poisoned() -> ParsedFiling:
    """An exercise-and-sell filing whose last row (Table II) overflows Decimal arithmetic in the ledger.

    The parser refuses such a value (implausible_value); this record bypasses it, as a record written
    straight to the parsed topic would.
    """
    filing = sc.exercise_and_sell()
    parsed = to_parsed(filing, to_events(filing))
    last = parsed.events[-1].model_copy(update={"shares": Decimal("1e1000000")})
    return parsed.model_copy(update={"events": (*parsed.events[:-1], last)})


def test_journal_restores_written_deleted_and_new_keys() -> None:
    """Rollback puts back replaced values, re-creates deleted keys and removes added ones."""
    sales: dict[str, Any] = {"kept": "a", "replaced": "b", "deleted": "c"}
    positions: dict[str, Any] = {}
    journal = Journal(Stores(sales=sales, positions=positions))
    view: Any = journal.stores  # plain strings stand in for the typed state records
    view.sales["replaced"] = "B"
    view.sales["replaced"] = "BB"
    del view.sales["deleted"]
    view.sales["added"] = "d"
    view.positions["new"] = "p"
    assert sales == {"kept": "a", "replaced": "BB", "added": "d"}  # writes go through at once
    journal.rollback()
    assert sales == {"kept": "a", "replaced": "b", "deleted": "c"}
    assert positions == {}


def test_failing_apply_leaves_no_partial_state() -> None:
    """A filing that raises half-way through apply writes nothing, and later filings apply normally."""
    ledger = Ledger(Stores(), Settings())
    ledger.apply_now(to_parsed(sc.director_30pct_sale(), to_events(sc.director_30pct_sale())))
    before = copy.deepcopy(_snapshot(ledger.s))
    with pytest.raises(Overflow):
        ledger.apply(_poisoned())
    assert _snapshot(ledger.s) == before
    assert ledger.s is not None and not isinstance(
        ledger.s.positions, type(Journal(Stores()).stores.positions)
    )
    # The stores still work: the same kind of filing without the poison applies in full.
    good = sc.exercise_and_sell()
    outcome = ledger.apply_now(to_parsed(good, to_events(good)))
    assert not outcome.duplicate and outcome.positions


def _failing_rules(*args: object, **kwargs: object) -> list[object]:
    raise RuntimeError("a bug in an alert rule")


def test_a_failure_after_positions_were_written_is_rolled_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the rules (run after the rows reached the positions) leaves nothing behind either."""
    ledger = Ledger(Stores(), Settings())
    before = copy.deepcopy(_snapshot(ledger.s))
    monkeypatch.setattr("streams.domain.ledger.group_drafts", _failing_rules)
    good = sc.exercise_and_sell()
    with pytest.raises(RuntimeError):
        ledger.apply(to_parsed(good, to_events(good)))
    assert _snapshot(ledger.s) == before


def test_without_the_journal_the_same_failure_would_leave_writes_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above is meaningful: the unjournalled steps do write before the failing rule."""
    ledger = Ledger(Stores(), Settings())
    monkeypatch.setattr("streams.domain.ledger.group_drafts", _failing_rules)
    good = sc.exercise_and_sell()
    with pytest.raises(RuntimeError):
        ledger._apply(to_parsed(good, to_events(good)), None)
    assert ledger.s.positions, "the rows reached the positions before the rules ran"
