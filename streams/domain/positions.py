"""Position arithmetic: pure functions over the rows reported for one position.

A position is issuer x holder x security x direct/indirect vehicle (see :mod:`streams.domain.keys`).
Its rows are kept one per event id, so adding a row twice is a no-op and the summary is a function of
the set of rows, never of the order in which they arrived: current shares are the latest *reported*
figure by transaction date, windows run on transaction date, and the reconciliation chain is walked in
transaction-date order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from parsers.events import TransactionEvent
from streams.domain.keys import holder_of, holding_of, issuer_key, owner_key
from streams.domain.records import PositionFlow
from streams.domain.state import Break, FilingRow, Gap, StateRow, Summary, exact

WINDOWS = (30, 90, 365)


def _plain(value: Decimal | None) -> Decimal | None:
    # One number, one representation: "134018.0" in one format of a filing and "134018" in another are
    # the same amount, so state must not depend on which copy arrived first. No trailing zeros, and a
    # positive exponent (1E+3) written out in digits (1000).
    return None if value is None else exact(value)


def order_key(event: TransactionEvent) -> str:
    """Tie-break for rows on the same date: filing time, filing, table, row."""
    filed = event.filed_at.isoformat() if event.filed_at else ""
    return f"{filed}|{event.filing_id}|{event.table}|{event.row:04d}"


def filing_row(event: TransactionEvent) -> FilingRow:
    """The fields of an event that positions and alert rules need, with its holding, holder and position."""
    holder, owners = holder_of(event)
    holding, vehicle = holding_of(event)
    return FilingRow(
        event_id=event.event_id,
        filing_id=event.filing_id,
        day=event.transaction_date or event.period_of_report,
        order=order_key(event),
        is_holding=event.is_holding,
        code=event.transaction_code,
        acquired_disposed=event.acquired_disposed,
        shares=_plain(event.shares),
        price=_plain(event.price_per_share),
        owned_following=_plain(event.shares_owned_following),
        value_owned_following=_plain(event.value_owned_following),
        plan=event.plan_10b5_1,
        table=event.table,
        underlying_shares=_plain(event.underlying_shares),
        holding=holding,
        holder=holder,
        holder_owners=tuple(sorted(owner_key(o) for o in owners)),
        position=f"{issuer_key(event)}|{holder}|{holding}",
        title=event.security_title,
        direct_indirect=event.direct_indirect,
        nature=event.nature_of_ownership,
        vehicle=vehicle,
    )


_Row = TypeVar("_Row", bound=StateRow)


def sort_rows(rows: Iterable[_Row]) -> list[_Row]:
    return sorted(rows, key=lambda r: r.sort_key)


def signed_shares(row: StateRow) -> Decimal | None:
    shares = row.shares
    if shares is None or row.is_holding or row.acquired_disposed not in ("A", "D"):
        return None
    return shares if row.acquired_disposed == "A" else -shares


def row_value(row: StateRow) -> Decimal | None:
    """Dollar value of a Table I row (shares x price). Table II rows have none: a premium per contract
    times a number of contracts is not a value of shares."""
    if row.derivative or row.shares is None or row.price is None:
        return None
    return row.shares * row.price


def summarize(ordered: Sequence[StateRow], tolerance: Decimal, gap_days: int) -> Summary:
    """Current holding, last transaction date, reconciliation breaks and coverage gaps.

    ``ordered`` is sorted by :attr:`StateRow.sort_key` (as :attr:`Position.rows` are). ``tolerance``
    and ``gap_days`` are the reconciliation settings (see :func:`reconcile`).
    """
    reported = [r for r in ordered if r.held is not None or r.value_owned_following is not None]
    latest = reported[-1] if reported else None
    txn_dates = [r.day for r in ordered if not r.is_holding and r.day]
    found_breaks, found_gaps = reconcile(ordered, tolerance, gap_days)
    return Summary(
        shares=latest.held if latest else None,
        value_owned=latest.value_owned_following if latest else None,
        underlying_shares=latest.held_underlying if latest and latest.derivative else None,
        as_of=latest.day if latest else None,
        last_transaction_date=max(txn_dates) if txn_dates else None,
        breaks=found_breaks,
        gaps=found_gaps,
        row_count=len(ordered),
    )


def windows(rows: Sequence[StateRow], as_of: date, derivative: bool) -> tuple[PositionFlow, ...]:
    """Net flows over the N days of transaction dates ending on ``as_of`` (inclusive), as published.

    Shares are in the position's own units (Table II: derivative units, e.g. contracts); dollar values
    are Table I's only (P bought, S sold); ``net_underlying_shares`` is Table II's only.
    """
    out: list[PositionFlow] = []
    for days in WINDOWS:
        start = as_of - timedelta(days=days - 1)
        acquired = disposed = bought = sold = underlying = Decimal(0)
        for row in rows:
            signed = signed_shares(row)
            if signed is None or row.day is None or not start <= row.day <= as_of:
                continue
            if signed > 0:
                acquired += signed
            else:
                disposed -= signed
            underlying += signed * row.ratio
            value = row_value(row)
            if value is not None and row.code == "P":
                bought += value
            elif value is not None and row.code == "S":
                sold += value
        out.append(
            PositionFlow(
                days=days,
                start=start,
                end=as_of,
                acquired_shares=acquired,
                disposed_shares=disposed,
                net_shares=acquired - disposed,
                bought_value_usd=None if derivative else bought,
                sold_value_usd=None if derivative else sold,
                net_underlying_shares=exact(underlying) if derivative else None,
            )
        )
    return tuple(out)


def _content(row: StateRow) -> tuple[object, ...]:
    return (row.day, row.is_holding, row.code, row.acquired_disposed, row.shares, row.owned_following)


def reconcile(
    rows: Sequence[StateRow], tolerance: Decimal, gap_days: int
) -> tuple[tuple[Break, ...], tuple[Gap, ...]]:
    """Reported holdings that do not follow from the prior one +/- the shares traded since.

    Only what means something is a break:

    * a difference under ``tolerance`` shares is rounding;
    * rows of one filing that repeat one figure (a Form 5's end-of-year amount on every line) are one
      step: the prior figure plus all their shares must give it;
    * a row repeating another filing's row (same day, code, shares and figure) is a duplicate, skipped;
    * across more than ``gap_days`` days with no filing seen, a difference is a coverage :class:`Gap`.
    """
    found: list[Break] = []
    gaps: list[Gap] = []
    seen: dict[tuple[object, ...], str] = {}
    prior: Decimal | None = None
    prior_day: date | None = None
    prior_filing: str | None = None
    run: list[StateRow] = []

    def close(run: list[StateRow]) -> None:
        nonlocal prior, prior_day, prior_filing
        last = run[-1]
        following = last.owned_following
        steps = [signed_shares(r) for r in run]
        if prior is not None and following is not None and all(s is not None for s in steps):
            expected = prior + sum((s for s in steps if s is not None), Decimal(0))
            if abs(expected - following) >= tolerance:
                first = run[0]
                across = prior_filing != first.filing_id
                if across and prior_day and first.day and (first.day - prior_day).days > gap_days:
                    gaps.append(Gap(last.event_id, prior_day, first.day, expected, following))
                else:
                    found.append(Break(last.event_id, expected, following))
        if following is not None:
            prior, prior_day, prior_filing = following, last.day, last.filing_id

    for row in rows:
        content = _content(row)
        if seen.get(content, row.filing_id) != row.filing_id:
            continue  # the same row reported by another filing: counted once
        seen.setdefault(content, row.filing_id)
        if row.owned_following is None:
            continue
        if run and (run[-1].filing_id != row.filing_id or run[-1].owned_following != row.owned_following):
            close(run)
            run = []
        run.append(row)
    if run:
        close(run)
    return tuple(found), tuple(gaps)
