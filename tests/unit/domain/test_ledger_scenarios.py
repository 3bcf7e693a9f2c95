"""Hand-made scenarios for each alert rule, applied to the ledger exactly as the worker applies them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from parsers import to_events
from parsers.models import Filing, ReportingOwner, Row
from streams.config.settings import Settings
from streams.domain.keys import name_key
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.positions import reconcile
from streams.domain.positions import windows as flows
from streams.domain.records import Alert
from streams.domain.state import Break, Gap, StateRow
from streams.domain.views import find_positions
from synthetic import scenarios as sc


def apply(*filings: Filing, ledger: Ledger | None = None) -> tuple[Ledger, list[Alert]]:
    ledger = ledger or Ledger(Stores(), Settings())
    alerts: list[Alert] = []
    for f in filings:
        alerts.extend(ledger.apply_now(to_parsed(f, to_events(f))).alerts)
    return ledger, alerts


def active_ids(ledger: Ledger) -> set[str]:
    return {k for k, v in ledger.s.alerts.items() if v.active}


def raised(alerts: list[Alert]) -> list[tuple[str, str]]:
    return [(a.rule, a.severity) for a in alerts if a.kind == "alert_raised"]


def test_two_million_dollar_ceo_sale_is_a_critical_large_sale() -> None:
    """A $2M open-market sale by the CEO raises large_sale, one step up for the CEO."""
    _, alerts = apply(sc.ceo_large_sale())
    assert raised(alerts) == [("large_sale", "critical")]
    alert = alerts[0]
    assert alert.figures.value_usd == Decimal("2000000.00")
    assert alert.figures.shares == Decimal(20000)
    assert alert.owners[0].role == "CEO"
    assert alert.accession_numbers == ("0000950170-24-000101",)
    assert "sold 20,000 shares for $2,000,000" in alert.summary


def test_thirty_percent_sale_raises_large_fraction_sold_with_the_fraction() -> None:
    """Selling 3,000 of 10,000 shares ($150,750) is 30% of the pre-sale holding."""
    _, alerts = apply(sc.director_30pct_sale())
    assert raised(alerts) == [("large_fraction_sold", "high")]
    figures = alerts[0].figures
    assert figures.pct_of_holding_sold == Decimal("30.00")
    assert figures.holding_before == Decimal(10000)
    assert figures.holding_after == Decimal(7000)


def test_sale_down_to_zero_is_a_liquidation_not_also_a_fraction_alert() -> None:
    """A holding sold to zero raises liquidation (and large_sale for its size), not also a fraction alert."""
    _, alerts = apply(sc.liquidation_to_zero())
    assert sorted(raised(alerts)) == [("large_sale", "critical"), ("liquidation", "critical")]


def test_three_insiders_selling_within_fourteen_days_form_one_cluster() -> None:
    """Three distinct sellers of $100k+ within 14 days raise exactly one cluster alert naming them."""
    _, alerts = apply(*sc.cluster_of_sales())
    clusters = [a for a in alerts if a.rule == "cluster_selling"]
    assert len(clusters) == 1
    assert clusters[0].figures.window_start == date(2024, 4, 1)
    assert len(clusters[0].figures.cluster_members) == 3
    assert {o.name for o in clusters[0].owners} == {sc.CEO.name, sc.CFO.name, sc.DIRECTOR.name}


def test_cluster_is_the_same_alert_in_any_arrival_order() -> None:
    """The cluster's id depends on the window, not on which seller arrived last."""
    filings = sc.cluster_of_sales()
    ids = set()
    for seed in range(4):
        order = filings[:]
        random.Random(seed).shuffle(order)
        _, alerts = apply(*order)
        ids.add(next(a.alert_id for a in alerts if a.rule == "cluster_selling"))
    assert len(ids) == 1


def test_two_sellers_are_not_a_cluster() -> None:
    """Two insiders are below the three-insider threshold: no cluster alert."""
    _, alerts = apply(*sc.cluster_of_sales()[:2])
    assert not [a for a in alerts if a.rule == "cluster_selling"]


def test_sale_under_a_10b5_1_plan_is_one_step_less_severe() -> None:
    """The same $2M CEO sale under a 10b5-1 plan is 'high', not 'critical', and says so."""
    day = date(2024, 5, 6)
    row = sc.sale_row("20000", "100.00", "160000", day, plan=True)
    _, alerts = apply(sc.filing(sc.CEO, [row], day, "0000950170-24-000777", aff=True))
    assert raised(alerts) == [("large_sale", "high")]
    assert alerts[0].plan_10b5_1 is True


def test_plan_sale_scenario_below_thresholds_raises_nothing() -> None:
    """A $511k plan sale of 2.8% of the holding trips no rule at the default thresholds."""
    _, alerts = apply(sc.plan_sale())
    assert alerts == []


def test_exercise_and_sell_is_one_step_less_severe() -> None:
    """A President's same-day M-then-S is a large sale, lowered from critical to high for the exercise."""
    _, alerts = apply(sc.exercise_and_sell())
    assert raised(alerts) == [("large_sale", "high")]


def test_tax_withholding_is_never_a_sale_alert() -> None:
    """An F (shares withheld for tax) of $5M raises nothing: it is not a sale."""
    day = date(2024, 7, 1)
    row = sc.sale_row("50000", "100.00", "0", day, code="F")
    _, alerts = apply(sc.filing(sc.CEO, [row], day, "0000950170-24-000888"))
    assert alerts == []


def test_amendment_below_the_threshold_retracts_the_alert() -> None:
    """A 4/A restating a $2M sale as $800k retracts the large_sale alert, pointing at it."""
    ledger, alerts = apply(*sc.amended_below_threshold())
    first, retraction = alerts
    assert retraction.kind == "alert_retracted"
    assert retraction.retracts == first.alert_id
    pk = next(k for k in ledger.s.positions if k.startswith(f"{sc.ISSUER.cik}|{sc.CEO.cik}"))
    assert ledger.s.positions[pk].summary.shares == Decimal(192000)  # the position is restated too
    assert ledger.s.filings["0000950170-24-000101"].status == "superseded"


def test_amendment_restating_figures_replaces_the_alert() -> None:
    """A 4/A restating $2M as $1.2M retracts the old alert and raises the restated one."""
    ledger, alerts = apply(*sc.amended_smaller_sale())
    kinds = [(a.kind, a.rule) for a in alerts]
    assert kinds == [
        ("alert_raised", "large_sale"),
        ("alert_retracted", "large_sale"),
        ("alert_raised", "large_sale"),
    ]
    assert alerts[-1].figures.value_usd == Decimal("1200000.00")


def test_amendment_arriving_before_its_original_leaves_the_same_standing_alerts() -> None:
    """Out of order, the original is superseded on arrival: the standing alerts equal the in-order run."""
    original, restated = sc.amended_smaller_sale()
    in_order, _ = apply(original, restated)
    reversed_, _ = apply(restated, original)
    assert active_ids(in_order) == active_ids(reversed_)
    assert in_order.s.positions == reversed_.s.positions


def test_late_filing_lands_in_its_own_window_and_does_not_move_current_shares() -> None:
    """A January sale arriving after April's lands in the 90-day window, and April's holding stays current."""
    cluster_cfo = sc.cluster_of_sales()[1]  # CFO sells 2,000 on 2024-04-06, leaving 10,500
    ledger, _ = apply(cluster_cfo, sc.late_filing())
    pk = next(k for k in ledger.s.positions if f"|{sc.CFO.cik}|" in k)
    position = ledger.s.positions[pk]
    summary = position.summary
    windows = {w.days: w for w in flows(position.rows, date(2024, 4, 6), derivative=False)}
    assert summary.shares == Decimal(10500)
    assert summary.last_transaction_date == date(2024, 4, 6)
    assert windows[30].disposed_shares == Decimal(2000)
    assert windows[90].disposed_shares == Decimal(6000)  # 2024-01-10 is 87 days before 2024-04-06


def test_redelivered_filing_changes_nothing() -> None:
    """Applying the same filing twice is a duplicate: no new alert, no double-counted shares."""
    ledger, first = apply(sc.ceo_large_sale())
    before = dict(ledger.s.positions)  # the records are frozen: a shallow copy is a snapshot
    _, second = apply(sc.ceo_large_sale(), ledger=ledger)
    assert first and second == []
    assert ledger.s.positions == before


def test_reconciliation_break_is_flagged_and_counted() -> None:
    """A holding that does not follow from the prior one +/- the trade is recorded as a break."""
    day1, day2 = date(2024, 8, 1), date(2024, 8, 8)
    a = sc.filing(sc.DIRECTOR, [sc.sale_row("100", "10.00", "900", day1)], day1, "0000950170-24-000901")
    b = sc.filing(sc.DIRECTOR, [sc.sale_row("100", "10.00", "700", day2)], day2, "0000950170-24-000902")
    ledger = Ledger(Stores(), Settings())
    ledger.apply_now(to_parsed(a, to_events(a)))
    outcome = ledger.apply_now(to_parsed(b, to_events(b)))
    assert outcome.breaks == 1
    pos = next(iter(ledger.s.positions.values()))
    assert pos.summary.breaks == (
        Break(event_id="0000950170-24-000902/non_derivative/0", expected=Decimal(800), reported=Decimal(700)),
    )


def test_joint_filing_with_a_ceo_makes_the_cluster_senior() -> None:
    """A CEO filing jointly with a fund is a senior seller: the cluster gets the senior step up.

    Three sellers of $100k+ within 14 days: the CEO jointly with a 10% fund, a second 10% holder and
    the general counsel (neither senior). Every filer's role counts, so the cluster is 'critical'
    (high, one step up for the CEO), as the group rules already treat the joint filing.
    """
    fund = ReportingOwner(cik="0001000009", name="Acme Capital Fund LP", is_ten_percent_owner=True)
    holder = ReportingOwner(cik="0001000010", name="Widget Holdings LLC", is_ten_percent_owner=True)
    counsel = ReportingOwner(
        cik="0001000011", name="Coe Carla", is_officer=True, officer_title="General Counsel"
    )
    start = date(2024, 9, 3)
    joint = sc.filing(sc.CEO, [sc.sale_row("1500", "101.00", "178500", start)], start, "0000950170-24-000971")
    joint = joint.model_copy(update={"owners": (sc.CEO, fund)})
    day2, day3 = start + timedelta(days=4), start + timedelta(days=9)
    others = [
        sc.filing(holder, [sc.sale_row("2000", "99.50", "900000", day2)], day2, "0000950170-24-000972"),
        sc.filing(counsel, [sc.sale_row("1100", "97.00", "50000", day3)], day3, "0000950170-24-000973"),
    ]
    _, alerts = apply(joint, *others)
    clusters = [a for a in alerts if a.rule == "cluster_selling"]
    assert [a.severity for a in clusters] == ["critical"]
    assert "Doe Jane A and Acme Capital Fund LP (10% owner/CEO)" in clusters[0].figures.cluster_members


def test_amendment_of_one_of_two_same_day_filings_leaves_the_other_standing_in_any_order() -> None:
    """A 4/A amends one filing, not every filing of its owner, period and date (issue 10).

    Two Form 4s of one owner and period, filed the same day (one of them a sale by a family trust),
    then a 4/A naming that day that restates only the direct sale: it amends the direct filing, whose
    row it restates, and the trust's sale stands. Both orders end with the same positions.
    """
    day, filed = date(2024, 10, 1), date(2024, 10, 3)
    trust_row = sc.sale_row("700", "50.00", "20000", day).model_copy(
        update={"direct_indirect": "I", "nature_of_ownership": "By Family Trust"}
    )
    trust = sc.filing(sc.DIRECTOR, [trust_row], day, "0000950170-24-000981", filed=filed)
    direct = sc.filing(
        sc.DIRECTOR, [sc.sale_row("1000", "50.00", "9000", day)], day, "0000950170-24-000982", filed=filed
    )
    restated = sc.filing(
        sc.DIRECTOR,
        [sc.sale_row("1000", "51.00", "9000", day)],
        day,
        "0000950170-24-000983",
        form="4/A",
        filed=date(2024, 10, 8),
        original=filed,
    )
    in_order, _ = apply(trust, direct, restated)
    amendment_first, _ = apply(restated, trust, direct)
    assert in_order.s.positions == amendment_first.s.positions
    assert sorted(p.ownership for p in in_order.s.positions.values()) == ["D", "I:by family trust"]
    for ledger in (in_order, amendment_first):
        filings = ledger.s.filings
        assert filings["0000950170-24-000982"].status == "superseded"
        assert filings["0000950170-24-000981"].status == "active"
        assert filings["0000950170-24-000983"].base == "0000950170-24-000982"


# --- issue 9: holdings, holders and the bases of the figures -----------------------------------


def _row(event: str, filing: str, day: date, code: str, ad: str, shares: str, following: str) -> StateRow:
    return StateRow(
        event_id=event,
        filing_id=filing,
        day=day,
        order=f"{filing}|{event}",
        is_holding=False,
        code=code,
        acquired_disposed=ad,
        shares=Decimal(shares),
        price=Decimal(10),
        owned_following=Decimal(following),
        value_owned_following=None,
        plan=None,
        table="non_derivative",
        underlying_shares=None,
    )


def test_a_difference_under_a_share_is_rounding_not_a_break() -> None:
    rows = [
        _row("a", "f1", date(2024, 1, 2), "S", "D", "100", "900.4"),
        _row("b", "f2", date(2024, 1, 9), "S", "D", "100", "800"),
    ]
    assert reconcile(rows, Decimal(1), 180) == ((), ())
    assert reconcile(rows, Decimal("0.1"), 180)[0] == (Break("b", Decimal("800.4"), Decimal(800)),)


def test_a_difference_across_a_coverage_gap_is_marked_as_a_gap_not_a_break() -> None:
    """Two years with no filing seen: the holding moved for reasons we never saw."""
    rows = [
        _row("a", "f1", date(2021, 1, 4), "S", "D", "100", "900"),
        _row("b", "f2", date(2023, 3, 1), "S", "D", "100", "500"),
    ]
    found, gaps = reconcile(rows, Decimal(1), 180)
    assert found == ()
    assert gaps == (Gap("b", date(2021, 1, 4), date(2023, 3, 1), Decimal(800), Decimal(500)),)


def test_form5_lines_repeating_one_year_end_figure_are_one_holding() -> None:
    """Three gifts over a year, each line showing the year-end 700: one step of -300 from 1,000."""
    rows = [
        _row("p", "f0", date(2023, 1, 5), "S", "D", "100", "1000"),
        _row("a", "f5", date(2023, 3, 1), "G", "D", "100", "700"),
        _row("b", "f5", date(2023, 6, 1), "G", "D", "100", "700"),
        _row("c", "f5", date(2023, 9, 1), "G", "D", "100", "700"),
    ]
    assert reconcile(rows, Decimal(1), 365) == ((), ())


def test_a_row_repeated_by_another_filing_is_counted_once_in_the_chain() -> None:
    rows = [
        _row("a", "xml", date(2024, 1, 2), "S", "D", "100", "900"),
        _row("a2", "html", date(2024, 1, 2), "S", "D", "100", "900"),
        _row("b", "next", date(2024, 1, 9), "S", "D", "100", "800"),
    ]
    assert reconcile(rows, Decimal(1), 180) == ((), ())


def test_a_written_put_coded_s_in_table_ii_is_never_a_sale() -> None:
    """2,000 put contracts written at $3.00 (Table II, S): no large_sale, no cluster sale, no fraction."""
    day = date(2024, 9, 3)
    put = Row(
        table="derivative",
        index=0,
        is_holding=False,
        security_title="Put Option (obligation to buy)",
        conversion_or_exercise_price=Decimal("50.00"),
        transaction_date=day,
        transaction_form_type="4",
        transaction_code="S",
        equity_swap=False,
        shares=Decimal(2000),
        price_per_share=Decimal("3.00"),
        acquired_disposed="D",
        exercise_date=day,
        expiration_date=date(2025, 1, 17),
        underlying_security_title=sc.COMMON,
        underlying_shares=Decimal(200000),
        shares_owned_following=Decimal(2000),
        direct_indirect="D",
    )
    ledger, alerts = apply(sc.filing(sc.CEO, [put], day, "0000950170-24-000990"))
    assert alerts == [] and not ledger.s.sales
    (position,) = ledger.s.positions.values()
    assert position.summary.underlying_shares == Decimal(200000)


def test_a_joint_filing_row_is_held_once_by_the_group_unless_a_footnote_names_its_owner() -> None:
    """A fund and its manager file together: the fund's line is the group's, the manager's own RSUs his."""
    day = date(2024, 9, 4)
    fund_line = sc.sale_row("1000", "50.00", "9000", day).model_copy(
        update={"direct_indirect": "I", "nature_of_ownership": "By fund"}
    )
    rsus = sc.sale_row("0", "0", "500", day, index=1, code="A", ad="A").model_copy(
        update={"footnotes": {"direct_indirect": ("Restricted stock units granted to Mr. Poe.",)}}
    )
    joint = sc.filing(sc.DIRECTOR, [fund_line, rsus], day, "0000950170-24-000991")
    fund = ReportingOwner(cik="0001000099", name="Acme Capital Fund, L.P.", address=sc.DIRECTOR.address)
    joint = joint.model_copy(update={"owners": (sc.DIRECTOR, fund)})
    ledger, _ = apply(joint)
    held = {p.holder: p.summary.shares for p in ledger.s.positions.values()}
    assert held == {"group:0001000003+0001000099": Decimal(9000), "0001000003": Decimal(500)}
    served = find_positions(ledger.s.positions, "ACME", "1000003", date(2024, 9, 30))
    assert sorted(p["holder"]["kind"] for p in served) == ["group", "owner"]  # his view lists his group


def test_owner_names_without_a_cik_ignore_order_case_punctuation_and_initials() -> None:
    assert name_key("Brin Sergey") == name_key("Sergey Brin") == name_key("BRIN, SERGEY M.")
    assert name_key("Doe Jane A") == name_key("Jane Doe")
    assert name_key("Doe Jane") != name_key("Doe John")


def test_selling_converted_class_a_with_class_b_left_is_not_a_liquidation() -> None:
    """10,000 Class B converted and sold as Class A the same day, 90,000 Class B left: 10% of the stake."""
    day = date(2024, 9, 5)
    conv = sc.sale_row("10000", "0", "10000", day, code="C", ad="A")
    sale = sc.sale_row("10000", "100.00", "0", day, index=1)
    class_b = Row(
        table="derivative",
        index=0,
        is_holding=False,
        security_title="Class B Common Stock",
        conversion_or_exercise_price=Decimal(0),
        transaction_date=day,
        transaction_form_type="4",
        transaction_code="C",
        equity_swap=False,
        shares=Decimal(10000),
        price_per_share=Decimal(0),
        acquired_disposed="D",
        underlying_security_title=sc.COMMON,
        underlying_shares=Decimal(10000),
        shares_owned_following=Decimal(90000),
        direct_indirect="D",
    )
    _, alerts = apply(sc.filing(sc.DIRECTOR, [conv, sale, class_b], day, "0000950170-24-000992"))
    assert [a.rule for a in alerts] == ["large_sale"]
    _, alone = apply(sc.filing(sc.DIRECTOR, [conv, sale], day, "0000950170-24-000993"))
    liquidation = next(a for a in alone if a.rule == "liquidation")  # with no Class B shown, it is one
    assert liquidation.figures.holding_before == Decimal(10000)
