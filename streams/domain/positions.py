"""Position arithmetic: pure functions over the rows reported for one position.

A position is issuer x owner x security x direct/indirect nature. Its rows are kept one per event id,
so adding a row twice is a no-op and the summary is a function of the set of rows, never of the order
in which they arrived: current shares are the latest *reported* figure by transaction date, windows run
on transaction date, and the reconciliation chain is walked in transaction-date order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from parsers.events import TransactionEvent
from streams.domain.keys import ownership_key, position_keys, security_key
from streams.domain.state import Break, FilingRow, StateRow, Summary, Window

WINDOWS = (30, 90, 365)


def _plain(value: Decimal | None) -> Decimal | None:
    # State used to keep decimals as format(value, "f") text: keep their arithmetic identical by
    # writing a positive exponent (1E+3) out in digits (1000), as that text did.
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    return Decimal(format(value, "f")) if isinstance(exponent, int) and exponent > 0 else value


def order_key(event: TransactionEvent) -> str:
    """Tie-break for rows on the same date: filing time, filing, table, row."""
    filed = event.filed_at.isoformat() if event.filed_at else ""
    return f"{filed}|{event.filing_id}|{event.table}|{event.row:04d}"


def filing_row(event: TransactionEvent) -> FilingRow:
    """The fields of an event that positions and alert rules need, with its holding and positions."""
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
        holding=f"{security_key(event)}|{ownership_key(event)}",
        positions=tuple(position_keys(event)),
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
    if row.shares is None or row.price is None:
        return None
    return row.shares * row.price


def summarize(ordered: Sequence[StateRow]) -> Summary:
    """Current holding, last transaction date, rolling windows and reconciliation breaks.

    ``ordered`` is sorted by :attr:`StateRow.sort_key` (as :attr:`Position.rows` are).
    """
    reported = [r for r in ordered if r.owned_following is not None or r.value_owned_following is not None]
    latest = reported[-1] if reported else None
    txn_dates = [r.day for r in ordered if not r.is_holding and r.day]
    last_txn = max(txn_dates) if txn_dates else None
    return Summary(
        shares=latest.owned_following if latest else None,
        value_owned=latest.value_owned_following if latest else None,
        as_of=latest.day if latest else None,
        last_transaction_date=last_txn,
        windows=windows(ordered, last_txn) if last_txn else (),
        breaks=breaks(ordered),
        row_count=len(ordered),
    )


def windows(rows: Sequence[StateRow], as_of: date) -> tuple[Window, ...]:
    """Net shares and dollar values over the last N days of transaction dates, up to ``as_of``."""
    out: list[Window] = []
    for days in WINDOWS:
        start = as_of - timedelta(days=days - 1)
        acquired = disposed = bought_value = sold_value = Decimal(0)
        for row in rows:
            signed = signed_shares(row)
            if signed is None or row.day is None or not start <= row.day <= as_of:
                continue
            if signed > 0:
                acquired += signed
            else:
                disposed -= signed
            value = row_value(row)
            if value is not None and row.code == "P":
                bought_value += value
            elif value is not None and row.code == "S":
                sold_value += value
        out.append(Window(days, acquired, disposed, acquired - disposed, bought_value, sold_value))
    return tuple(out)


def breaks(rows: Sequence[StateRow]) -> tuple[Break, ...]:
    """Rows whose reported holding differs from the prior holding +/- the row's shares."""
    found: list[Break] = []
    prior: Decimal | None = None
    for row in rows:
        following = row.owned_following
        signed = signed_shares(row)
        if prior is not None and following is not None and signed is not None:
            expected = prior + signed
            if expected != following:
                found.append(Break(row.event_id, expected, following))
        if following is not None:
            prior = following
    return tuple(found)
