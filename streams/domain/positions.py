"""Position arithmetic: pure functions over the rows reported for one position.

A position is issuer x owner x security x direct/indirect nature. Its rows are kept keyed by event id,
so adding a row twice is a no-op and the summary is a function of the set of rows, never of the order
in which they arrived: current shares are the latest *reported* figure by transaction date, windows run
on transaction date, and the reconciliation chain is walked in transaction-date order.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from parsers.events import TransactionEvent

WINDOWS = (30, 90, 365)

Row = dict[str, Any]
"""Compact row kept in state (JSON): see :func:`compact_row` for the keys."""


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def order_key(event: TransactionEvent) -> str:
    """Tie-break for rows on the same date: filing time, filing, table, row."""
    filed = event.filed_at.isoformat() if event.filed_at else ""
    return f"{filed}|{event.filing_id}|{event.table}|{event.row:04d}"


def compact_row(event: TransactionEvent) -> Row:
    """The fields of an event that positions and alert rules need, JSON-ready."""
    when = event.transaction_date or event.period_of_report
    return {
        "e": event.event_id,
        "f": event.filing_id,
        "d": when.isoformat() if when else None,
        "o": order_key(event),
        "h": event.is_holding,
        "c": event.transaction_code,
        "ad": event.acquired_disposed,
        "s": _s(event.shares),
        "p": _s(event.price_per_share),
        "fo": _s(event.shares_owned_following),
        "vf": _s(event.value_owned_following),
        "pl": event.plan_10b5_1,
    }


def sort_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r["d"] or "", r["o"]))


def signed_shares(row: Row) -> Decimal | None:
    shares = _d(row["s"])
    if shares is None or row["h"] or row["ad"] not in ("A", "D"):
        return None
    return shares if row["ad"] == "A" else -shares


def row_value(row: Row) -> Decimal | None:
    shares, price = _d(row["s"]), _d(row["p"])
    if shares is None or price is None:
        return None
    return shares * price


def summarize(rows: list[Row]) -> dict[str, Any]:
    """Current holding, last transaction date, rolling windows and reconciliation breaks."""
    ordered = sort_rows(rows)
    reported = [r for r in ordered if r["fo"] is not None or r["vf"] is not None]
    latest = reported[-1] if reported else None
    txn_dates = [r["d"] for r in ordered if not r["h"] and r["d"]]
    last_txn = max(txn_dates) if txn_dates else None
    return {
        "shares": latest["fo"] if latest else None,
        "value_owned": latest["vf"] if latest else None,
        "as_of": latest["d"] if latest else None,
        "last_transaction_date": last_txn,
        "windows": windows(ordered, date.fromisoformat(last_txn)) if last_txn else {},
        "breaks": breaks(ordered),
        "row_count": len(ordered),
    }


def windows(rows: list[Row], as_of: date) -> dict[str, dict[str, str]]:
    """Net shares and dollar values over the last N days of transaction dates, up to ``as_of``."""
    out: dict[str, dict[str, str]] = {}
    for days in WINDOWS:
        start = as_of - timedelta(days=days - 1)
        acquired = disposed = bought_value = sold_value = Decimal(0)
        for row in rows:
            signed = signed_shares(row)
            if signed is None or row["d"] is None or not start <= date.fromisoformat(row["d"]) <= as_of:
                continue
            if signed > 0:
                acquired += signed
            else:
                disposed -= signed
            value = row_value(row)
            if value is not None and row["c"] == "P":
                bought_value += value
            elif value is not None and row["c"] == "S":
                sold_value += value
        out[str(days)] = {
            "acquired_shares": _s(acquired) or "0",
            "disposed_shares": _s(disposed) or "0",
            "net_shares": _s(acquired - disposed) or "0",
            "bought_value_usd": _s(bought_value) or "0",
            "sold_value_usd": _s(sold_value) or "0",
        }
    return out


def breaks(rows: list[Row]) -> list[dict[str, str]]:
    """Rows whose reported holding differs from the prior holding +/- the row's shares."""
    found: list[dict[str, str]] = []
    prior: Decimal | None = None
    for row in rows:
        following = _d(row["fo"])
        signed = signed_shares(row)
        if prior is not None and following is not None and signed is not None:
            expected = prior + signed
            if expected != following:
                found.append({"event_id": row["e"], "expected": _s(expected) or "0", "reported": row["fo"]})
        if following is not None:
            prior = following
    return found
