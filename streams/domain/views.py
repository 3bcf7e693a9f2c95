"""What the outside sees of the ledger's state: ``form4.position/1`` records, and state counts.

Served by the worker (``GET /positions/``, ``GET /stats``) and printed by ``form4 positions`` (live
or ``--offline``) and ``form4 replay --positions``: one function each, so all answer in the same
shape. Decimals are exact strings, dates ISO 8601.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from streams.domain.keys import name_key
from streams.domain.ledger import Stores
from streams.domain.positions import windows
from streams.domain.records import (
    PositionBreak,
    PositionGap,
    PositionHolder,
    PositionIssuer,
    PositionOwner,
    PositionRecord,
)
from streams.domain.state import Position


def today() -> date:
    """The default reference day of rolling flows (UTC)."""
    return datetime.now(UTC).date()


def position_record(pos: Position, as_of: date | None = None) -> PositionRecord:
    """A position as ``form4.position/1``, its rolling flows ending on ``as_of`` (default today)."""
    day = as_of or today()
    summary = pos.summary
    derivative = pos.table == "derivative"
    return PositionRecord(
        key=pos.key,
        issuer=PositionIssuer(cik=pos.issuer_cik or pos.issuer, ticker=pos.ticker, name=pos.issuer_name),
        holder=PositionHolder(
            kind="group" if pos.holder_kind == "group" else "owner",
            key=pos.holder,
            owners=tuple(PositionOwner(cik=o.cik, name=o.name) for o in pos.owners),
        ),
        security_title=pos.security_title,
        security=pos.security,
        table="derivative" if derivative else "non_derivative",
        direct_indirect="I" if pos.direct_indirect == "I" else "D" if pos.direct_indirect == "D" else None,
        nature_of_ownership=pos.nature,
        vehicle=pos.vehicle,
        shares=summary.shares,
        value_owned=summary.value_owned,
        underlying_shares=summary.underlying_shares,
        as_of=summary.as_of,
        last_transaction_date=summary.last_transaction_date,
        flows_as_of=day,
        flows=windows(pos.rows, day, derivative),
        last_event_id=pos.rows[-1].event_id if pos.rows else None,
        breaks=tuple(
            PositionBreak(event_id=b.event_id, expected=b.expected, reported=b.reported)
            for b in summary.breaks
        ),
        gaps=tuple(
            PositionGap(
                event_id=g.event_id, since=g.since, until=g.until, expected=g.expected, reported=g.reported
            )
            for g in summary.gaps
        ),
        row_count=summary.row_count,
    )


def public_position(key: str, pos: Position, as_of: date | None = None) -> dict[str, Any]:
    """A position as served (``form4.position/1`` as JSON-ready data), without its rows."""
    assert key == pos.key, f"position stored under {key!r} says it is {pos.key!r}"
    served: dict[str, Any] = position_record(pos, as_of).model_dump(mode="json", by_alias=True)
    return served


def _holds(pos: Position, owner: str) -> bool:
    """Whether ``owner`` (a CIK, with or without zeros, or a name) is one of the position's holders."""
    wanted = owner.strip()
    if wanted.isdigit():
        return any(o.cik == wanted.zfill(10) for o in pos.owners)
    key = name_key(wanted)
    return any(o.key == wanted or name_key(o.name) == key for o in pos.owners)


def find_positions(
    positions: Mapping[str, Position | None],
    issuer: str | None,
    owner: str | None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Positions of an issuer (CIK, zero-padded or not, or ticker), by key.

    With ``owner``, the positions that owner holds alone and those of the groups they filed in.
    Rolling flows end on ``as_of`` (default today).
    """
    wanted = (issuer or "").strip()
    cik = wanted.zfill(10) if wanted.isdigit() else None
    ticker = wanted.upper() if wanted and not wanted.isdigit() else None
    day = as_of or today()
    out = []
    for key, pos in positions.items():
        if pos is None:
            continue
        if cik and pos.issuer_cik != cik:
            continue
        if ticker and (pos.ticker or "").upper() != ticker:
            continue
        if owner and not _holds(pos, owner):
            continue
        out.append(public_position(key, pos, day))
    return sorted(out, key=lambda p: p["key"])


def all_positions(
    positions: Mapping[str, Position | None], as_of: date | None = None
) -> list[dict[str, Any]]:
    """Every position, by key, flows ending on ``as_of`` (default today)."""
    day = as_of or today()
    return [public_position(k, p, day) for k, p in sorted(positions.items()) if p]


def parse_as_of(text: str | None) -> date | None:
    """``as_of`` as a query parameter or option gives it: ``YYYY-MM-DD``, or nothing for today.

    Raises:
        ValueError: the text is not an ISO date; the message says what was given.
    """
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"as_of must be a date YYYY-MM-DD, not {text!r}") from None


def state_stats(stores: Stores) -> dict[str, int]:
    """Counts of the state, as ``GET /stats`` serves them.

    One value decoded at a time: with a store holding bytes (compact, RocksDB) a list of every position
    would be the whole state as objects at once, memory the process then keeps.
    """
    counts = dict.fromkeys(
        (
            "filings_applied",
            "filings_superseded",
            "positions",
            "positions_with_breaks",
            "alerts_active",
            "alerts_retracted",
        ),
        0,
    )
    for filing in stores.filings.values():
        if filing and filing.status == "active":
            counts["filings_applied"] += 1
        elif filing and filing.status == "superseded":
            counts["filings_superseded"] += 1
    for position in stores.positions.values():
        if position:
            counts["positions"] += 1
            counts["positions_with_breaks"] += bool(position.summary.breaks)
    for alert in stores.alerts.values():
        if alert:
            counts["alerts_active" if alert.active else "alerts_retracted"] += 1
    return counts


__all__ = [
    "all_positions",
    "find_positions",
    "parse_as_of",
    "position_record",
    "public_position",
    "state_stats",
]
