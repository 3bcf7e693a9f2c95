"""Filing deadlines of Section 16 reports, in US federal business days, and the 10b5-1 cooling-off check.

* Form 4: before the end of the second business day after the trade (Rule 16a-3(g)), counted from the
  deemed execution date when the row has one (10b5-1 and 16b-3(f) trades);
* Form 3: within 10 days of becoming an insider (the period of report);
* Form 5: within 45 days of the issuer's fiscal year end (the period of report); a Form 5 line of
  transaction form type 4 was due on a Form 4, so it is late by definition.

A deadline in calendar days that falls on a weekend or holiday moves to the next business day (Rule 0-3).
Business days are Monday to Friday except US federal holidays (the ``holidays`` library's calendar, with
observed days): EDGAR's calendar, not the NYSE's, so Good Friday is a business day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

_NEW_YORK = ZoneInfo("America/New_York")
_EDGAR_CUTOFF = time(17, 30)
"""EDGAR gives filings accepted after 5:30 p.m. Eastern the next business day's filing date."""

COOLING_OFF_START = date(2023, 2, 27)
"""The SEC's 2022 Rule 10b5-1 amendments (cooling-off periods) apply to plans adopted from this day."""
COOLING_OFF_DAYS_INSIDER = 90
"""Directors and officers: at least 90 days (up to 120, after the next 10-Q/10-K, which a filing does not
show: only trades inside the 90 days are certain breaches)."""
COOLING_OFF_DAYS_OTHER = 30
COOLING_OFF_MAX_DAYS_INSIDER = 120
"""Directors and officers: the period ends two business days after the next 10-Q/10-K, at most 120 days.
Between 90 and 120 days a trade may or may not breach, which the filing alone cannot tell."""


@lru_cache(maxsize=256)
def _federal(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year))


@lru_cache(maxsize=65536)
def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _federal(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the next one."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=65536)  # every row of a filing asks the same few days (issue 12)
def add_business_days(day: date, count: int) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself for 0)."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


@lru_cache(maxsize=65536)
def business_days_between(start: date, end: date) -> int:
    """Business days in ``(start, end]``: 0 for a filing on the trade day (negative: ``end`` earlier)."""
    if end < start:
        return -business_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_business_day(start + timedelta(days=n)))


def filing_day(filing_date: date | None, filed_at: datetime | None) -> date | None:
    """EDGAR's filing date: the header's, else the acceptance time's (after 5:30 p.m.: next business day)."""
    if filing_date is not None:
        return filing_date
    if filed_at is None:
        return None
    local = filed_at.astimezone(_NEW_YORK) if filed_at.tzinfo else filed_at
    day = local.date()
    if local.time() > _EDGAR_CUTOFF:
        day += timedelta(days=1)
    return next_business_day(day)


def due_date(form_type: str, event_day: date) -> date:
    """The last day a filing of ``form_type`` about ``event_day`` is on time."""
    form = form_type.removesuffix("/A")
    if form == "3":
        return next_business_day(event_day + timedelta(days=10))
    if form == "5":
        return next_business_day(event_day + timedelta(days=45))
    return add_business_days(event_day, 2)


def lateness(
    form_type: str,
    *,
    is_holding: bool,
    transaction_date: date | None,
    deemed_execution_date: date | None,
    period_of_report: date | None,
    transaction_form_type: str | None,
    timeliness: str | None,
    filed: date | None,
) -> tuple[bool | None, int | None, date | None]:
    """``(late, filing lag in business days, due date)`` of one row filed on ``filed``.

    The clock starts at the deemed execution date, else the transaction date; for holdings of Forms 3
    and 5 at the period of report (becoming an insider, the fiscal year end). Form 4 holdings are not
    trades: ``(None, None, None)``. Without a filing date the lag is unknown, but a Form 5 line of form
    type 4 and a row the filer marked late (timeliness ``L``) are late whatever the date.
    """
    form = form_type.removesuffix("/A")
    start = deemed_execution_date or transaction_date
    if form in ("3", "5") and (is_holding or form == "3"):
        start = period_of_report
    if form == "4" and is_holding:
        return None, None, None
    if form == "5" and not is_holding:
        # Form 5 transactions are due with the fiscal year's report, except lines of form type 4.
        start = period_of_report if transaction_form_type != "4" else start
    by_definition = (form == "5" and transaction_form_type == "4") or timeliness == "L"
    if start is None:
        return (True if by_definition else None), None, None
    due = due_date("4" if form == "5" and transaction_form_type == "4" else form, start)
    if form == "4" and transaction_form_type == "5":
        # A Form 5 line reported early on a Form 4 (EDGAR's V): due with the Form 5, never late here.
        return False, (business_days_between(start, filed) if filed else None), None
    if filed is None:
        return (True if by_definition else None), None, due
    return by_definition or filed > due, business_days_between(start, filed), due


def business_days_late(due: date | None, filed: date | None) -> int | None:
    """How many business days after ``due`` the filing came (0 when on time)."""
    if due is None or filed is None:
        return None
    return max(business_days_between(due, filed), 0)


def cooling_off_breach(
    plan: bool | None,
    adoption: date | None,
    trade: date | None,
    *,
    director_or_officer: bool,
) -> bool | None:
    """Whether a plan trade fell inside its plan's cooling-off period; ``None`` when it cannot be told
    (not a plan trade, no adoption date, a plan adopted before the amendments, no trade date, or a
    director's or officer's trade 90 to 120 days after adoption: then it depends on the date of the
    issuer's next 10-Q/10-K, which a Form 4 does not show)."""
    if not plan or adoption is None or trade is None or adoption < COOLING_OFF_START:
        return None
    if not director_or_officer:
        return trade < adoption + timedelta(days=COOLING_OFF_DAYS_OTHER)
    if trade < adoption + timedelta(days=COOLING_OFF_DAYS_INSIDER):
        return True
    if trade < adoption + timedelta(days=COOLING_OFF_MAX_DAYS_INSIDER):
        return None
    return False


__all__ = [
    "COOLING_OFF_DAYS_INSIDER",
    "COOLING_OFF_MAX_DAYS_INSIDER",
    "COOLING_OFF_DAYS_OTHER",
    "COOLING_OFF_START",
    "add_business_days",
    "business_days_between",
    "business_days_late",
    "cooling_off_breach",
    "due_date",
    "filing_day",
    "is_business_day",
    "lateness",
    "next_business_day",
]
