"""Direct lines footnoted apart are holdings of their own (hand-made filings; the real ones are in
test_positions_corpus.py): an IRA's line reports the IRA's amount, not the filer's other direct shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from parsers import parse, to_events
from parsers.events import TransactionEvent
from parsers.models import Filing, ReportingOwner
from streams.config.settings import Settings
from streams.domain.keys import holding_key, vehicle_of
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from synthetic import scenarios as sc
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml

DAY = date(2024, 3, 5)


def _ownership(event: TransactionEvent) -> str:
    """The ownership part of the row's holding key: ``D``, ``D#<vehicle digest>``, ``I:...``."""
    return holding_key(event).rsplit("|", 1)[1]


def _filing(
    *rows: tuple[str, str, str, str | None], owners: tuple[ReportingOwner, ...] = (sc.DIRECTOR,)
) -> Filing:
    """One sale line per (shares, price, owned following, footnote on D)."""
    lines = [
        sc.sale_row(
            shares, price, following, DAY, index=i, notes={"direct_indirect": (note,)} if note else None
        )
        for i, (shares, price, following, note) in enumerate(rows)
    ]
    f = sc.filing(owners[0], lines, DAY, "0000950170-24-000555")
    return f.model_copy(update={"owners": owners})


def _positions(f: Filing) -> dict[str, tuple[Decimal | None, str | None, int]]:
    ledger = Ledger(Stores(), Settings())
    ledger.apply_now(to_parsed(f, to_events(f)))
    return {
        k.rsplit("|", 1)[1]: (p.summary.shares, p.vehicle, len(p.summary.breaks))
        for k, p in ledger.s.positions.items()
    }


def test_an_ira_line_beside_the_direct_line_is_a_second_holding_without_a_break() -> None:
    f = _filing(("1000", "50.00", "9000", None), ("200", "50.00", "1800", "Held in IRA"))
    held = _positions(f)
    assert sorted(held.values()) == [(Decimal(1800), "Held in IRA", 0), (Decimal(9000), None, 0)]
    assert "D" in held and any(k.startswith("D#") for k in held)


def test_two_lines_of_one_ira_are_one_holding_whose_amounts_follow() -> None:
    f = _filing(("100", "50.00", "1900", "Held in IRA"), ("100", "50.00", "1800", "Held in  IRA"))
    assert list(_positions(f).values()) == [(Decimal(1800), "Held in IRA", 0)]


def test_a_footnote_naming_the_filer_or_saying_what_the_amount_includes_is_no_vehicle() -> None:
    for note in (
        "These shares are held directly by Edgar Poe.",  # says whose the line is
        "Includes 120 shares acquired under the Employee Stock Purchase Plan.",
        "The amount reported includes 120 shares held for the reporting person in the 401(k) plan.",
    ):
        (event,) = to_events(_filing(("1000", "50.00", "9000", note)))
        assert vehicle_of(event) is None, note
        assert _ownership(event) == "D", note


def test_the_vehicle_key_is_the_footnote_whatever_its_spacing_or_case() -> None:
    (a,) = to_events(_filing(("1", "1.00", "10", "Held in   IRA")))
    (b,) = to_events(_filing(("1", "1.00", "10", "held in IRA")))
    assert _ownership(a) == _ownership(b) != "D"
    assert vehicle_of(a) == "Held in IRA"


def test_every_format_of_a_filing_keys_its_ira_line_alike() -> None:
    """The same filing pushed as XML, complete submission, EDGAR's HTML page or a text rendering: the
    footnote mark beside "D" reaches the holding's key in each: a copy lands on the same position."""
    f = sc.director_sale_beside_ira(DAY)
    holdings = {  # issuer and holder apart: a text rendering carries no CIK (README, Known limits)
        render.__name__: tuple(holding_key(e) for e in to_events(parse(render(f))))
        for render in (render_xml, render_submission, render_html, render_text)
    }
    assert set(holdings.values()) == {("common stock|D", "common stock|D#6637618edb")}, holdings
