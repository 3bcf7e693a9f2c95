"""What the outside sees of the ledger's state: positions as JSON-ready dicts, and state counts.

Served by the worker (``GET /positions/``, ``GET /stats``) and printed by ``form4 positions``, live
or ``--offline``: one function each, so both answer in the same shape. Decimals are exact strings
(``format(value, "f")``), dates ISO 8601.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from streams.domain.ledger import Stores
from streams.domain.state import Position, Window


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _window(w: Window) -> dict[str, str]:
    return {
        "acquired_shares": format(w.acquired_shares, "f"),
        "disposed_shares": format(w.disposed_shares, "f"),
        "net_shares": format(w.net_shares, "f"),
        "bought_value_usd": format(w.bought_value_usd, "f"),
        "sold_value_usd": format(w.sold_value_usd, "f"),
    }


def public_position(key: str, pos: Position) -> dict[str, Any]:
    """A position as served: its identity and summary, not the rows it was computed from."""
    summary = pos.summary
    return {
        "key": key,
        "issuer": pos.issuer,
        "issuer_cik": pos.issuer_cik,
        "issuer_name": pos.issuer_name,
        "ticker": pos.ticker,
        "owner": pos.owner,
        "owner_name": pos.owner_name,
        "security": pos.security,
        "ownership": pos.ownership,
        "shares": _money(summary.shares),
        "value_owned": _money(summary.value_owned),
        "as_of": _day(summary.as_of),
        "last_transaction_date": _day(summary.last_transaction_date),
        "windows": {str(w.days): _window(w) for w in summary.windows},
        "breaks": [
            {"event_id": b.event_id, "expected": format(b.expected, "f"), "reported": format(b.reported, "f")}
            for b in summary.breaks
        ],
        "row_count": summary.row_count,
    }


def find_positions(
    positions: Mapping[str, Position | None], issuer: str | None, owner: str | None
) -> list[dict[str, Any]]:
    """Positions of an issuer (CIK, zero-padded or not, or ticker), optionally of one owner, by key."""
    wanted = (issuer or "").strip()
    cik = wanted.zfill(10) if wanted.isdigit() else None
    ticker = wanted.upper() if wanted and not wanted.isdigit() else None
    owner_cik = owner.zfill(10) if owner and owner.isdigit() else owner
    out = []
    for key, pos in positions.items():
        if pos is None:
            continue
        if cik and pos.issuer_cik != cik:
            continue
        if ticker and (pos.ticker or "").upper() != ticker:
            continue
        if owner_cik and pos.owner != owner_cik:
            continue
        out.append(public_position(key, pos))
    return sorted(out, key=lambda p: p["key"])


def state_stats(stores: Stores) -> dict[str, int]:
    """Counts of the state, as ``GET /stats`` serves them."""
    filings = [f for f in stores.filings.values() if f]
    alerts = [a for a in stores.alerts.values() if a]
    positions = [p for p in stores.positions.values() if p]
    return {
        "filings_applied": sum(1 for f in filings if f.status == "active"),
        "filings_superseded": sum(1 for f in filings if f.status == "superseded"),
        "positions": len(positions),
        "positions_with_breaks": sum(1 for p in positions if p.summary.breaks),
        "alerts_active": sum(1 for a in alerts if a.active),
        "alerts_retracted": sum(1 for a in alerts if not a.active),
    }


__all__ = ["find_positions", "public_position", "state_stats"]
