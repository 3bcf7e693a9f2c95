"""Issue 11: purchases, repeat sellers, late filings, plan checks, routine traders and alert context.

Scenarios on hand-made filings (``synthetic.scenarios``) and on real EDGAR filings from the corpus.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import parse, to_events
from parsers._values import plan_10b5_1
from parsers.deadlines import (
    add_business_days,
    business_days_between,
    cooling_off_breach,
    filing_day,
    is_business_day,
    lateness,
)
from parsers.models import Filing
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.records import Alert
from streams.domain.signals import classify
from streams.domain.state import InsiderHistory, Trade
from synthetic import scenarios as sc
from tests.support.corpus import corpus_dir

RRR = (
    "submission/rs-kellogg__edgar2data__tests__data__form-4__sample__2020__1653653_3_0000899243-20-022914.txt"
)
FLWS = "submission/krymer15__edgar-app__tests__fixtures__0000921895-25-001190.txt"
TLS = "xml/krymer15__edgar-app__tests__fixtures__000032012123000040_form4.xml"
CEG = "xml/tLordJoe__intelligence-trade__tests__fixtures__form4__documents__0000905148-26-003642_form4.xml"
EQH = (
    "submission/rs-kellogg__edgar2data__tests__data__form-4__sample__2020__1333986_1_0001209191-20-017244.txt"
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def apply(*filings: Filing, settings: Settings | None = None) -> tuple[Ledger, list[Alert]]:
    ledger = Ledger(Stores(), settings or Settings())
    alerts: list[Alert] = []
    for f in filings:
        alerts.extend(ledger.apply_now(to_parsed(f, to_events(f)), NOW).alerts)
    return ledger, alerts


def raised(alerts: list[Alert], rule: str | None = None) -> list[Alert]:
    return [a for a in alerts if a.kind == "alert_raised" and (rule is None or a.rule == rule)]


def standing(ledger: Ledger) -> set[str]:
    return {k for k, v in ledger.s.alerts.items() if v.active}


def buy(owner: object, shares: str, price: str, following: str, day: date, acc: str, **kw: object) -> Filing:
    row = sc.sale_row(shares, price, following, day, code="P", ad="A")
    return sc.filing(owner, [row], day, acc, **kw)  # type: ignore[arg-type]


def sell(owner: object, shares: str, price: str, following: str, day: date, acc: str, **kw: object) -> Filing:
    return sc.filing(owner, [sc.sale_row(shares, price, following, day)], day, acc, **kw)  # type: ignore[arg-type]


# --- the calendar -------------------------------------------------------------------------------------
def test_a_trade_on_the_friday_before_memorial_day_is_due_on_wednesday() -> None:
    """2024-05-24 is a Friday; Monday 2024-05-27 is Memorial Day: the two business days are Tue and Wed."""
    friday = date(2024, 5, 24)
    assert not is_business_day(date(2024, 5, 27))
    assert add_business_days(friday, 2) == date(2024, 5, 29)
    on_time = lateness(
        "4",
        is_holding=False,
        transaction_date=friday,
        deemed_execution_date=None,
        period_of_report=friday,
        transaction_form_type="4",
        timeliness=None,
        filed=date(2024, 5, 29),
    )
    assert on_time == (False, 2, date(2024, 5, 29))
    late, lag, _ = lateness(
        "4",
        is_holding=False,
        transaction_date=friday,
        deemed_execution_date=None,
        period_of_report=friday,
        transaction_form_type="4",
        timeliness=None,
        filed=date(2024, 5, 30),
    )
    assert (late, lag) == (True, 3)


def test_good_friday_is_a_business_day_for_edgar() -> None:
    """Good Friday (2024-03-29) closes the NYSE but is no federal holiday: a Thursday trade is due Monday."""
    assert is_business_day(date(2024, 3, 29))
    assert add_business_days(date(2024, 3, 28), 2) == date(2024, 4, 1)
    assert business_days_between(date(2024, 3, 28), date(2024, 4, 1)) == 2


def test_federal_holidays_and_observed_days_are_not_business_days() -> None:
    # Juneteenth 2024 (Wed), Independence Day 2026 observed on Friday 2026-07-03, Christmas.
    for day in (date(2024, 6, 19), date(2026, 7, 3), date(2025, 12, 25)):
        assert not is_business_day(day)
    assert add_business_days(date(2024, 6, 18), 2) == date(2024, 6, 21)


def test_the_deemed_execution_date_starts_the_clock() -> None:
    late, lag, due = lateness(
        "4",
        is_holding=False,
        transaction_date=date(2024, 3, 1),
        deemed_execution_date=date(2024, 3, 11),
        period_of_report=date(2024, 3, 1),
        transaction_form_type="4",
        timeliness=None,
        filed=date(2024, 3, 13),
    )
    assert (late, lag, due) == (False, 2, date(2024, 3, 13))


def _late(
    form: str,
    *,
    holding: bool,
    period: date,
    filed: date,
    trade: date | None = None,
    line_form: str | None = None,
) -> tuple[bool | None, int | None, date | None]:
    return lateness(
        form,
        is_holding=holding,
        transaction_date=trade,
        deemed_execution_date=None,
        period_of_report=period,
        transaction_form_type=line_form,
        timeliness=None,
        filed=filed,
    )


def test_forms_3_and_5_deadlines_and_a_form_5_line_of_form_type_4() -> None:
    # Form 3: ten days after 2024-08-21 is Saturday 2024-08-31; Labor Day is 09-02: due Tuesday 09-03.
    assert _late("3", holding=True, period=date(2024, 8, 21), filed=date(2024, 9, 3))[0] is False
    assert _late("3", holding=True, period=date(2024, 8, 21), filed=date(2024, 9, 4))[0] is True
    # Form 5: 45 days after a fiscal year ending 2024-12-31 is Friday 2025-02-14.
    fye, filed = date(2024, 12, 31), date(2025, 2, 14)
    gift = _late("5", holding=False, period=fye, filed=filed, trade=date(2024, 6, 1), line_form="5")
    assert gift[0] is False and gift[2] == filed
    four = _late("5", holding=False, period=fye, filed=filed, trade=date(2024, 6, 3), line_form="4")
    assert four[0] is True  # it belonged on a Form 4 in June


def test_the_filing_date_after_edgar_hours_is_the_next_business_day() -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    assert filing_day(None, datetime(2024, 5, 24, 17, 0, tzinfo=ny)) == date(2024, 5, 24)
    assert filing_day(None, datetime(2024, 5, 24, 18, 0, tzinfo=ny)) == date(2024, 5, 28)
    assert filing_day(date(2024, 5, 24), datetime(2024, 5, 24, 18, 0, tzinfo=ny)) == date(2024, 5, 24)
    assert filing_day(None, None) is None


# --- 10b5-1 plans, checked -------------------------------------------------------------------------
def test_cooling_off_periods() -> None:
    adopted = date(2024, 1, 2)
    assert cooling_off_breach(True, adopted, date(2024, 3, 1), director_or_officer=True) is True
    # 90 to 120 days: it ends two business days after the next 10-Q/10-K, which a filing does not show.
    assert cooling_off_breach(True, adopted, date(2024, 4, 2), director_or_officer=True) is None
    assert cooling_off_breach(True, adopted, date(2024, 4, 30), director_or_officer=True) is None
    assert cooling_off_breach(True, adopted, date(2024, 5, 1), director_or_officer=True) is False
    assert cooling_off_breach(True, adopted, date(2024, 2, 15), director_or_officer=False) is False
    # Plans adopted before the 2022 amendments took effect had no cooling-off period to breach.
    assert cooling_off_breach(True, date(2023, 1, 5), date(2023, 1, 20), director_or_officer=True) is None
    assert cooling_off_breach(False, adopted, date(2024, 3, 1), director_or_officer=True) is None


def test_terminated_or_expired_plans_and_the_checkbox_on_grants() -> None:
    assert plan_10b5_1(
        None, ["The reporting person's Rule 10b5-1 trading plan was terminated on May 1, 2024."]
    ) == (
        False,
        None,
    )
    assert plan_10b5_1(None, ["These sales occurred after the 10b5-1 plan expired."])[0] is False
    # The checkbox speaks for open-market trades, not for a grant (A) or tax withholding (F).
    assert plan_10b5_1(True, [], code="A") == (None, None)
    assert plan_10b5_1(True, [], code="F") == (None, None)
    assert plan_10b5_1(True, [], code="S") == (True, None)


def test_a_plan_sale_inside_its_cooling_off_period_is_flagged_and_not_downgraded() -> None:
    """The CEO sells $2M under a plan adopted 30 days earlier: flagged, and critical like a non-plan sale."""
    day = date(2024, 5, 6)
    row = sc.sale_row("20000", "100.00", "180000", day, plan=True).model_copy(
        update={"plan_adoption_date": date(2024, 4, 5)}
    )
    _, alerts = apply(sc.filing(sc.CEO, [row], day, "0000950170-24-000901"))
    (alert,) = raised(alerts, "large_sale")
    assert alert.plan_cooling_off_breach is True
    assert alert.plan_10b5_1 is True
    assert alert.severity == "critical"
    _, plain = apply(sc.plan_sale())  # adopted long before: the plan downgrade stands
    assert all(a.plan_cooling_off_breach is not True for a in plain)


# --- purchases ----------------------------------------------------------------------------------------
def test_large_purchase_is_role_adjusted() -> None:
    """$300k bought: medium for a 10%-style non-senior owner, high for a director."""
    day = date(2024, 3, 4)
    _, alerts = apply(buy(sc.DIRECTOR, "3000", "100.00", "13000", day, "0000950170-24-000701"))
    (alert,) = raised(alerts)
    assert (alert.rule, alert.severity) == ("large_purchase", "high")
    assert alert.figures.value_usd == Decimal("300000.00")
    assert alert.net_change_shares == Decimal(3000)
    assert alert.transaction_dates == (day,)
    assert alert.filing_dates == (date(2024, 3, 6),)
    assert alert.edgar_urls == (
        "https://www.sec.gov/Archives/edgar/data/1234567/000095017024000701/0000950170-24-000701-index.htm",
    )
    _, small = apply(buy(sc.DIRECTOR, "2000", "100.00", "12000", day, "0000950170-24-000702"))
    assert raised(small) == []


def test_cluster_buying_counts_distinct_insiders_once() -> None:
    """Three insiders buy $100k+ within 14 days; the CEO's second filing (with the CFO jointly) does not
    make a fourth insider, and two buyers are not a cluster."""
    d = date(2024, 4, 1)
    filings = [
        buy(sc.CEO, "1200", "100.00", "1200", d, "0000950170-24-000801"),
        buy(sc.CFO, "1100", "100.00", "1100", date(2024, 4, 5), "0000950170-24-000802"),
        buy(sc.DIRECTOR, "1000", "100.00", "1000", date(2024, 4, 12), "0000950170-24-000803"),
    ]
    ledger, alerts = apply(*filings)
    (cluster,) = raised(alerts, "cluster_buying")
    assert cluster.figures.window_start == d and len(cluster.figures.cluster_members) == 3
    assert cluster.transaction_dates == (d, date(2024, 4, 5), date(2024, 4, 12))
    ids = set()
    for order in itertools.permutations(filings):
        ids.add(frozenset(standing(apply(*order)[0])))
    assert len(ids) == 1
    _, two = apply(*filings[:2])
    assert raised(two, "cluster_buying") == []
    # The CEO alone and then jointly with the CFO: still two insiders, no cluster.
    joint = sc.filing(
        sc.CEO, [sc.sale_row("1500", "100.00", "2700", d, code="P", ad="A")], d, "0000950170-24-000804"
    )
    joint = joint.model_copy(update={"owners": (sc.CEO, sc.CFO)})
    _, pair = apply(filings[0], filings[1], joint)
    assert raised(pair, "cluster_buying") == []


def test_first_purchase_needs_history_and_states_its_depth() -> None:
    """A director seen selling in 2021 buys in 2024: the first buy in two years of history; a second
    buy a month later is not a first purchase; a buy with no earlier history is not either."""
    history = sell(sc.DIRECTOR, "100", "50.00", "900", date(2021, 6, 1), "0000950170-21-000001")
    first = buy(sc.DIRECTOR, "100", "60.00", "1000", date(2024, 2, 1), "0000950170-24-000011")
    again = buy(sc.DIRECTOR, "100", "61.00", "1100", date(2024, 3, 1), "0000950170-24-000012")
    ledger, alerts = apply(history, first, again)
    (alert,) = raised(alerts, "first_purchase")
    assert alert.transaction_dates == (date(2024, 2, 1),)
    assert alert.figures.history_days == (date(2024, 2, 1) - date(2021, 6, 1)).days
    assert alert.history_start == date(2021, 6, 1)
    ids = {frozenset(standing(apply(*o)[0])) for o in itertools.permutations([history, first, again])}
    assert len(ids) == 1
    _, alone = apply(first)
    assert raised(alone, "first_purchase") == []


# --- repeat sellers ----------------------------------------------------------------------------------
def test_two_600k_sales_on_consecutive_days_reach_large_sale() -> None:
    a = sell(sc.CFO, "6000", "100.00", "14000", date(2024, 7, 8), "0000950170-24-000501")
    b = sell(sc.CFO, "6000", "100.00", "8000", date(2024, 7, 9), "0000950170-24-000502")
    ledger, alerts = apply(a, b)
    (alert,) = raised(alerts, "large_sale")
    assert alert.figures.value_usd == Decimal("1200000.00")
    assert alert.figures.window_days == 30 and alert.figures.window_start == date(2024, 7, 8)
    assert alert.accession_numbers == ("0000950170-24-000501", "0000950170-24-000502")
    assert "0000950170-24-000501" in alert.summary
    assert standing(apply(b, a)[0]) == standing(ledger)
    _, one = apply(a)
    assert raised(one, "large_sale") == []


# --- late filings and staleness ----------------------------------------------------------------------
def test_late_filing_alert_and_stale_trades_are_never_upgraded() -> None:
    """The CFO's sale of 2024-01-10 filed 2024-02-20 (marked L): 26 business days late and stale, so the
    late_filing alert says so and the CFO's seniority does not raise it."""
    _, alerts = apply(sc.late_filing())
    (late,) = raised(alerts, "late_filing")
    assert late.late is True and late.stale is True
    assert late.figures.business_days_late == business_days_between(date(2024, 1, 12), date(2024, 2, 20))
    assert late.severity == "low"
    assert "stale" in late.summary
    events = to_events(sc.late_filing())
    assert events[0].late is True and events[0].filing_lag_business_days == business_days_between(
        date(2024, 1, 10), date(2024, 2, 20)
    )
    _, on_time = apply(sc.ceo_large_sale())
    assert raised(on_time, "late_filing") == [] and on_time[0].late is False and not on_time[0].stale


# --- routine or opportunistic -----------------------------------------------------------------------
def _trade(day: date, kind: str = "S") -> Trade:
    return Trade(f"e{day}", f"f{day}", day, kind)


def test_cohen_malloy_pomorski_classification() -> None:
    march = [_trade(date(y, 3, 10)) for y in (2021, 2022, 2023)]
    assert classify(InsiderHistory(tuple(march)), date(2024, 3, 20), 3) == ("routine", date(2021, 3, 10))
    assert classify(InsiderHistory(tuple(march)), date(2024, 5, 20), 3)[0] == "opportunistic"
    assert classify(InsiderHistory(tuple(march[1:])), date(2024, 3, 20), 3)[0] == "unknown"
    assert classify(None, date(2024, 3, 20), 3) == ("unknown", None)


def test_a_routine_seller_is_lowered_one_step_whatever_the_order() -> None:
    """The CEO sold in March of 2021, 2022 and 2023: the $2M sale of March 2024 is routine, high not
    critical, and the same alert stands whatever order the four filings arrive in."""
    past = [
        sell(sc.CEO, "100", "90.00", "200000", date(y, 3, 4), f"0000950170-{y % 100}-000300")
        for y in (2021, 2022, 2023)
    ]
    big = sc.ceo_large_sale(date(2024, 3, 4))
    ledger, alerts = apply(*past, big)
    sale = next(a for a in raised(alerts, "large_sale") if a.figures.value_usd == Decimal("2000000.00"))
    assert (sale.trader, sale.severity, sale.history_start) == ("routine", "high", date(2021, 3, 4))
    ids = {frozenset(standing(apply(*o)[0])) for o in itertools.permutations([*past, big])}
    assert ids == {frozenset(standing(ledger))}


# --- real filings --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus() -> Path:
    found = corpus_dir()
    if found is None:
        pytest.skip("the EDGAR corpus is absent: set FORM4_CORPUS to ../shared/filings")
    return found


def _real(corpus: Path, path: str, settings: Settings | None = None) -> list[Alert]:
    filing = parse((corpus / path).read_bytes())
    return apply(filing, settings=settings)[1]


def test_rrr_director_buying_2_26m(corpus: Path) -> None:
    """Lorenzo Fertitta, director of Red Rock Resorts, bought 137,500 shares for $2,259,125 on
    2020-08-17; filed 2020-08-19, two business days later."""
    (alert,) = raised(_real(corpus, RRR))
    assert (alert.rule, alert.severity) == ("large_purchase", "high")
    assert alert.figures.value_usd == Decimal("2259125")
    assert alert.owners[0].role == "Director"
    assert (alert.late, alert.filing_lag_business_days) == (False, 2)
    assert alert.filing_dates == (date(2020, 8, 19),) and alert.transaction_dates == (date(2020, 8, 17),)
    assert alert.edgar_urls[0].endswith("/1653653/000089924320022914/0000899243-20-022914-index.htm")


def test_flws_ten_percent_owners_913k_count_as_one_buyer(corpus: Path) -> None:
    """Pleasant Lake's three joint filers bought 167,847 FLWS shares for $912,659 over three days."""
    (alert,) = raised(_real(corpus, FLWS))
    assert (alert.rule, alert.severity) == ("large_purchase", "medium")
    assert alert.figures.value_usd.quantize(Decimal(1)) == Decimal(912659)  # type: ignore[union-attr]
    assert len(alert.owners) == 3 and {o.role for o in alert.owners} == {"10% owner"}
    assert alert.transaction_dates == (date(2025, 4, 24), date(2025, 4, 25), date(2025, 4, 28))


def test_tls_director_599k_bare_xml_has_no_filing_date(corpus: Path) -> None:
    (alert,) = raised(_real(corpus, TLS))
    assert (alert.rule, alert.severity) == ("large_purchase", "high")
    assert alert.figures.value_usd.quantize(Decimal(1)) == Decimal(598985)  # type: ignore[union-attr]
    # A bare XML document carries no filing date: lateness unknown, not false.
    assert alert.late is None and alert.filing_lag_business_days is None and alert.filing_dates == ()


def test_ceg_director_418k(corpus: Path) -> None:
    (alert,) = raised(_real(corpus, CEG))
    assert (alert.rule, alert.severity) == ("large_purchase", "high")
    assert alert.figures.value_usd.quantize(Decimal(1)) == Decimal(417931)  # type: ignore[union-attr]


def test_eqh_cfo_march_2020_buy(corpus: Path) -> None:
    """Anders Malmstrom, EQH's CFO, bought 6,000 shares at $16.92 ($101,520) on 2020-03-09, filed the
    same day: below the $250k default, a large purchase at a $100k threshold, one step up for the CFO."""
    assert raised(_real(corpus, EQH)) == []
    (alert,) = raised(_real(corpus, EQH, Settings(large_purchase_usd=Decimal(100_000))))
    assert (alert.rule, alert.severity, alert.owners[0].role) == ("large_purchase", "high", "CFO")
    assert alert.filing_lag_business_days == 0 and alert.late is False
