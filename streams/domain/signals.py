"""Issue 11: the signals users come for, beyond large sales.

* ``large_purchase``: open-market buys (P) of at least ``FORM4_LARGE_PURCHASE_USD`` in one filing group;
* ``late_filing``: a filing group with a trade more than ``FORM4_LATE_FILING_BUSINESS_DAYS`` business
  days past its deadline (``parsers.deadlines``);
* ``first_purchase``: an insider's first open-market buy in ``FORM4_FIRST_PURCHASE_LOOKBACK_DAYS`` of
  the history seen (the insider must have been seen before: the depth is stated in the alert);
* ``large_sale`` across filings: one insider's open-market sales summed over
  ``FORM4_REPEAT_SALE_WINDOW_DAYS`` of transaction date, when no single filing of the window reaches
  the threshold alone (split sales);
* the trader classification (Cohen, Malloy and Pomorski 2012) and the context every alert carries.

Everything here is a function of the rows applied (the insider's history is a set keyed by event id),
so ids and the standing alerts do not depend on arrival order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from parsers.events import TransactionEvent
from streams.config.settings import Settings
from streams.domain.keys import stable_id
from streams.domain.positions import row_value
from streams.domain.records import AlertFigures, Trader
from streams.domain.rules import (
    Draft,
    GroupContext,
    _money,
    _severity,
    _sig,
    is_purchase,
    is_sale,
    is_stale,
    plan_downgrade,
    stake,
)
from streams.domain.state import FilingMeta, FilingRow, InsiderHistory, RowSignal, StateRow, Trade

_PLAN_NOTE = re.compile(r"10\s*b\s*[-\u2010-\u2014]?\s*5", re.I)
_EXERCISE_NOTE = re.compile(r"exercis|conver", re.I)
_EXERCISES = ("M", "X", "O", "C")
_DATE_FIELDS = ("transaction_date", "deemed_execution_date", "timeliness", "transaction_form_type")
_NOTE_CHARS = 500
"""Evidence keeps at most this much of a footnote (state size)."""


# --- per row, from the events --------------------------------------------------------------------
def signal_of(event: TransactionEvent) -> RowSignal:
    """The row's deadline and plan checks and the footnotes that decided them."""
    evidence: list[tuple[str, str, str]] = []
    for field, texts in sorted(event.footnotes.items()):
        for text in texts:
            note = text[:_NOTE_CHARS]
            if event.plan_10b5_1 is not None and _PLAN_NOTE.search(text):
                evidence.append(("plan", field, note))
            elif event.late and field in _DATE_FIELDS:
                evidence.append(("lateness", field, note))
            elif event.transaction_code in _EXERCISES or (
                event.transaction_code in ("S", "P") and _EXERCISE_NOTE.search(text)
            ):
                evidence.append(("exercise", field, note))
    return RowSignal(
        event_id=event.event_id,
        filed=event.filing_date,
        late=event.late,
        lag=event.filing_lag_business_days,
        due=event.filing_due_date,
        breach=event.plan_cooling_off_breach,
        evidence=tuple(evidence),
    )


def signals_of(events: Iterable[TransactionEvent]) -> tuple[RowSignal, ...]:
    return tuple(signal_of(e) for e in events)


def trades_of(meta: FilingMeta) -> list[Trade]:
    """A filing's rows as the insider's history keeps them (dated rows only)."""
    trades = []
    for row in meta.rows:
        if row.day is None:
            continue
        kind = "P" if is_purchase(row) else "S" if is_sale(row) else "-"
        trades.append(
            Trade(
                event_id=row.event_id,
                filing_id=row.filing_id,
                day=row.day,
                kind=kind,
                shares=row.shares if kind != "-" else None,
                value=row_value(row) if kind != "-" else None,
                plan=row.plan if kind != "-" else None,
            )
        )
    return trades


def insider_key(meta: FilingMeta) -> str:
    """``issuer | insider``: joint filers are one insider, as in the amendment group."""
    return f"{meta.issuer}|{meta.seller}"


# --- routine or opportunistic ---------------------------------------------------------------------
def classify(history: InsiderHistory | None, day: date | None, years: int) -> tuple[Trader, date | None]:
    """Cohen-Malloy-Pomorski: routine when the insider traded (P or S) in ``day``'s calendar month in
    each of the ``years`` prior years; ``unknown`` when the history seen does not reach back that far."""
    if history is None or not history.trades or day is None:
        return "unknown", None
    start = history.trades[0].day
    if (start.year, start.month) > (day.year - years, day.month):
        return "unknown", start
    months = {(t.day.year, t.day.month) for t in history.trades if t.kind in ("P", "S") and t.day < day}
    routine = all((day.year - k, day.month) in months for k in range(1, years + 1))
    return ("routine" if routine else "opportunistic"), start


# --- group rules: large_purchase, late_filing -------------------------------------------------------
def group_signal_drafts(
    group: str,
    rows: Sequence[FilingRow],
    roles: list[str],
    who: str,
    settings: Settings,
    ctx: GroupContext,
) -> list[Draft]:
    drafts: list[Draft] = []
    buys = [r for r in rows if is_purchase(r)]
    value = sum((row_value(r) or Decimal(0) for r in buys), Decimal(0))
    if buys and value >= settings.large_purchase_usd:
        shares = sum((r.shares or Decimal(0) for r in buys), Decimal(0))
        stale = is_stale(buys, ctx.signals, settings)
        plan = plan_downgrade(buys, ctx.signals)
        drafts.append(
            Draft(
                alert_id=stable_id("large_purchase", group, _sig(shares, value)),
                rule="large_purchase",
                severity=_severity(
                    "medium", roles, plan, False, stale=stale, routine=ctx.trader == "routine"
                ),
                event_ids=tuple(sorted(r.event_id for r in buys)),
                filing_ids=tuple(sorted({r.filing_id for r in buys})),
                figures=AlertFigures(shares=shares, value_usd=value),
                summary=f"{who} bought {shares:,f} shares for {_money(value)} on the open market",
                plan_10b5_1=all(r.plan for r in buys),
            )
        )
    late = [
        (r, sig)
        for r in rows
        if not r.is_holding
        and (sig := ctx.signals.get(r.event_id)) is not None
        and sig.late
        and (_days_late(sig) or 0) > settings.late_filing_business_days
    ]
    if late:
        worst = max(_days_late(sig) or 0 for _, sig in late)
        trades = [r for r, _ in late]
        drafts.append(
            Draft(
                alert_id=stable_id("late_filing", group, *sorted(r.event_id for r in trades)),
                rule="late_filing",
                # Lateness is a compliance fact, not a trading signal: low, medium for senior insiders.
                severity=_severity("low", roles, False, False, stale=is_stale(trades, ctx.signals, settings)),
                event_ids=tuple(sorted(r.event_id for r in trades)),
                filing_ids=tuple(sorted({r.filing_id for r in trades})),
                figures=AlertFigures(
                    shares=sum((r.shares or Decimal(0) for r in trades), Decimal(0)),
                    value_usd=sum((row_value(r) or Decimal(0) for r in trades), Decimal(0)),
                    business_days_late=worst,
                ),
                summary=f"{who} filed {len(trades)} trade(s) {worst} business days after the deadline",
            )
        )
    return drafts


def _days_late(sig: RowSignal) -> int | None:
    from parsers.deadlines import business_days_late

    return business_days_late(sig.due, sig.filed)


# --- context, on every group alert --------------------------------------------------------------------
def finish(draft: Draft, rows: Sequence[FilingRow], ctx: GroupContext, settings: Settings) -> Draft:
    """``draft`` with its context: dates, lateness, plan checks, evidence, stake change and trader.

    A known trader classification is part of the id: when older history changes it, the old alert is
    retracted and the reclassified one raised.
    """
    by_id = {r.event_id: r for r in rows}
    used = [by_id[e] for e in draft.event_ids if e in by_id]
    context = context_of(draft, used, ctx.signals, settings)
    holders = {r.holder for r in used}
    mine = [r for r in rows if r.holder in holders]
    before, after = stake(mine) if mine else (None, Decimal(0))
    trader = ctx.trader
    return replace(
        context,
        alert_id=_with_trader(draft.alert_id, trader),
        trader=trader,
        history_start=ctx.history_start,
        net_change=None if before is None else after - before,
    )


def _with_trader(alert_id: str, trader: Trader | None) -> str:
    return alert_id if trader in (None, "unknown") else stable_id(alert_id, str(trader))


def context_of(
    draft: Draft, rows: Sequence[StateRow], signals: Mapping[str, RowSignal], settings: Settings
) -> Draft:
    """Dates, lateness, the cooling-off check and evidence of the rows behind ``draft``."""
    sigs = [s for r in rows if (s := signals.get(r.event_id)) is not None]
    lates = [s.late for s in sigs if s.late is not None]
    lags = [s.lag for s in sigs if s.lag is not None]
    breaches = [s.breach for s in sigs if s.breach is not None]
    evidence = tuple((s.event_id, decides, field, note) for s in sigs for decides, field, note in s.evidence)
    stale = is_stale(rows, signals, settings)
    summary = draft.summary
    if stale and "stale" not in summary:
        summary += f" (stale: filed more than {settings.stale_trade_days} days after the trade)"
    return replace(
        draft,
        summary=summary,
        stale=stale,
        late=any(lates) if lates else None,
        lag=max(lags) if lags else None,
        breach=any(breaches) if breaches else None,
        transaction_dates=draft.transaction_dates or tuple(sorted({r.day for r in rows if r.day})),
        evidence=evidence,
    )


# --- insider rules: first_purchase, large_sale across filings ---------------------------------------
def insider_drafts(
    insider: str,
    history: InsiderHistory,
    roles: list[str],
    who: str,
    signals: Mapping[str, RowSignal],
    settings: Settings,
) -> list[Draft]:
    """The insider-level alerts of one insider's history (``insider`` is ``issuer|insider``)."""
    return [
        *_first_purchases(insider, history, roles, who, signals, settings),
        *_repeat_sales(insider, history, roles, who, signals, settings),
    ]


def _as_rows(trades: Sequence[Trade]) -> list[StateRow]:
    # Context helpers read rows: the trades as minimal Table I rows.
    return [
        StateRow(
            t.event_id,
            t.filing_id,
            t.day,
            "",
            False,
            t.kind,
            None,
            t.shares,
            None,
            None,
            None,
            t.plan,
            "non_derivative",
            None,
        )
        for t in trades
    ]


def _first_purchases(
    insider: str,
    history: InsiderHistory,
    roles: list[str],
    who: str,
    signals: Mapping[str, RowSignal],
    settings: Settings,
) -> list[Draft]:
    lookback = timedelta(days=settings.first_purchase_lookback_days)
    buys = [t for t in history.trades if t.kind == "P"]
    if not buys or not history.trades:
        return []
    start = history.trades[0].day
    drafts = []
    for day in sorted({t.day for t in buys}):
        if start >= day or any(day - lookback <= t.day < day for t in buys):
            continue  # never seen before this day, or bought within the lookback
        todays = [t for t in buys if t.day == day]
        value = sum((t.value or Decimal(0) for t in todays), Decimal(0))
        shares = sum((t.shares or Decimal(0) for t in todays), Decimal(0))
        depth = (day - start).days
        trader, _ = classify(history, day, settings.routine_years)
        rows = _as_rows(todays)
        stale = is_stale(rows, signals, settings)
        draft = Draft(
            alert_id=_with_trader(stable_id("first_purchase", insider, day.isoformat()), trader),
            rule="first_purchase",
            severity=_severity(
                "medium",
                roles,
                plan_downgrade(rows, signals),
                False,
                stale=stale,
                routine=trader == "routine",
            ),
            event_ids=tuple(sorted(t.event_id for t in todays)),
            filing_ids=tuple(sorted({t.filing_id for t in todays})),
            figures=AlertFigures(shares=shares, value_usd=value, history_days=depth),
            summary=f"{who} bought {shares:,f} shares for {_money(value)}: the first open-market purchase "
            f"in {min(depth, settings.first_purchase_lookback_days)} days "
            f"(history seen from {start.isoformat()})",
            plan_10b5_1=all(t.plan for t in todays),
            trader=trader,
            history_start=start,
        )
        drafts.append(context_of(draft, rows, signals, settings))
    return drafts


def _repeat_sales(
    insider: str,
    history: InsiderHistory,
    roles: list[str],
    who: str,
    signals: Mapping[str, RowSignal],
    settings: Settings,
) -> list[Draft]:
    """Windows of one insider's sales across filings that reach ``large_sale`` only together."""
    span = timedelta(days=settings.repeat_sale_window_days - 1)
    sales = [t for t in history.trades if t.kind == "S"]
    qualifying: dict[date, list[Trade]] = {}
    for start in sorted({t.day for t in sales}):
        inside = [t for t in sales if start <= t.day <= start + span]
        per_filing: dict[str, Decimal] = {}
        for t in inside:
            per_filing[t.filing_id] = per_filing.get(t.filing_id, Decimal(0)) + (t.value or Decimal(0))
        total = sum(per_filing.values(), Decimal(0))
        # One filing reaching the threshold is the group rule's alert already.
        if (
            len(per_filing) >= 2
            and total >= settings.large_sale_usd
            and all(v < settings.large_sale_usd for v in per_filing.values())
        ):
            qualifying[start] = inside
    drafts = []
    for start, inside in sorted(qualifying.items()):
        ids = {t.event_id for t in inside}
        if any(
            earlier < start and start - earlier <= span and ids <= {t.event_id for t in other}
            for earlier, other in qualifying.items()
        ):
            continue
        value = sum((t.value or Decimal(0) for t in inside), Decimal(0))
        shares = sum((t.shares or Decimal(0) for t in inside), Decimal(0))
        filings = sorted({t.filing_id for t in inside})
        trader, hstart = classify(history, start, settings.routine_years)
        rows = _as_rows(inside)
        stale = is_stale(rows, signals, settings)
        draft = Draft(
            alert_id=_with_trader(stable_id("large_sale", "repeat", insider, start.isoformat()), trader),
            rule="large_sale",
            severity=_severity(
                "high", roles, plan_downgrade(rows, signals), False, stale=stale, routine=trader == "routine"
            ),
            event_ids=tuple(sorted(ids)),
            filing_ids=tuple(filings),
            figures=AlertFigures(
                shares=shares,
                value_usd=value,
                window_days=settings.repeat_sale_window_days,
                window_start=start,
                window_end=start + span,
                window_sold_shares=shares,
                window_sold_value_usd=value,
            ),
            summary=f"{who} sold {shares:,f} shares for {_money(value)} on the open market in "
            f"{len(filings)} filings within {settings.repeat_sale_window_days} days from "
            f"{start.isoformat()}: {', '.join(filings)}",
            plan_10b5_1=all(t.plan for t in inside),
            trader=trader,
            history_start=hstart,
        )
        drafts.append(context_of(draft, rows, signals, settings))
    return drafts


__all__ = [
    "classify",
    "context_of",
    "finish",
    "group_signal_drafts",
    "insider_drafts",
    "insider_key",
    "signal_of",
    "signals_of",
    "trades_of",
]
