"""Typed records of the ledger's state: what each store (a Faust table in the worker) holds.

Frozen, slotted dataclasses: the ledger replaces records, never mutates them, and a position stays
small in memory. Each top-level record has a compact wire encoding (``to_wire`` / ``from_wire``):
orjson over positional tuples, decimals as their exact ``str``, dates as ISO text, led by a format
version. Nested records encode as tuples inside their parent's (``to_tuple`` / ``from_tuple``).
Decoding what was encoded gives an equal record, so a table recovered from its changelog equals the
table that wrote it.

The store each record lives in (see :class:`streams.domain.ledger.Stores`):

* ``filings``: filing id -> :class:`FilingMeta` (its rows, owners, amendment data, status);
* ``groups``: amendment group -> :class:`GroupState` (member filings, alert ids of the group);
* ``positions``: issuer|owner|security|ownership -> :class:`Position` (rows and their summary);
* ``sales``: issuer|date -> :class:`DaySales` (open-market sales of that day, for cluster rules);
* ``issuer_alerts``: issuer -> :class:`IssuerAlerts` (cluster alert ids by window start);
* ``alerts``: alert id -> :class:`AlertState` (the alert record and whether it stands).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

import orjson

from streams.domain.keys import normalise
from streams.domain.records import Alert

WIRE_VERSION = 1
"""Leads every encoded record: a record of another layout fails loudly instead of decoding wrongly."""

Status = Literal["pending", "active", "superseded", "empty"]
"""A filing's state: ``empty`` has no rows (nothing to apply); ``superseded`` was amended."""


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)  # str() keeps sign, digits and exponent exactly


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _unday(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class _Wire:
    """Top-level encoding shared by the records: a version, then the record's tuple."""

    __slots__ = ()

    def to_tuple(self) -> tuple[Any, ...]:
        raise NotImplementedError

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        raise NotImplementedError

    def to_wire(self) -> bytes:
        return orjson.dumps((WIRE_VERSION, self.to_tuple()))

    @classmethod
    def from_wire(cls, data: bytes) -> Self:
        version, body = orjson.loads(data)
        if version != WIRE_VERSION:
            raise ValueError(f"{cls.__name__}: state written in wire format {version}, not {WIRE_VERSION}")
        return cls.from_tuple(body)


@dataclass(frozen=True, slots=True)
class Owner(_Wire):
    """A reporting owner as the state keeps it (the fields of ``form4.transaction/1``'s owners)."""

    cik: str | None
    name: str
    is_director: bool
    is_officer: bool
    is_ten_percent_owner: bool
    is_other: bool
    officer_title: str | None

    @property
    def key(self) -> str:
        """:func:`streams.domain.keys.owner_key` of this owner."""
        return self.cik or f"name:{normalise(self.name)}"

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.cik,
            self.name,
            self.is_director,
            self.is_officer,
            self.is_ten_percent_owner,
            self.is_other,
            self.officer_title,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        return cls(*data)


@dataclass(frozen=True, slots=True)
class StateRow(_Wire):
    """The fields of one reported row (a ``form4.transaction/1`` event) that positions and rules need."""

    event_id: str
    filing_id: str
    day: date | None
    """Transaction date, else the period of report (holdings)."""
    order: str
    """Tie-break among rows of one day (filing time | filing | table | row), compared as text."""
    is_holding: bool
    code: str | None
    acquired_disposed: str | None
    shares: Decimal | None
    price: Decimal | None
    owned_following: Decimal | None
    value_owned_following: Decimal | None
    plan: bool | None

    @property
    def sort_key(self) -> tuple[bool, date, str]:
        # Undated rows first, then by day, then by order.
        return (self.day is not None, self.day or date.min, self.order)

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.event_id,
            self.filing_id,
            _day(self.day),
            self.order,
            self.is_holding,
            self.code,
            self.acquired_disposed,
            _dec(self.shares),
            _dec(self.price),
            _dec(self.owned_following),
            _dec(self.value_owned_following),
            self.plan,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        e, f, d, o, h, c, ad, s, p, fo, vf, pl = data
        return cls(e, f, _unday(d), o, h, c, ad, _undec(s), _undec(p), _undec(fo), _undec(vf), pl)


@dataclass(frozen=True, slots=True)
class FilingRow(StateRow):
    """A row as its filing keeps it: also the holding it belongs to and the positions it updates."""

    holding: str
    """``security | direct-or-indirect``: the holding within the owner's positions."""
    positions: tuple[str, ...]
    """One position key per reporting owner (joint filers each own the reported shares)."""

    def state_row(self) -> StateRow:
        """The row as a position keeps it (without the filing's routing fields)."""
        return StateRow(
            self.event_id,
            self.filing_id,
            self.day,
            self.order,
            self.is_holding,
            self.code,
            self.acquired_disposed,
            self.shares,
            self.price,
            self.owned_following,
            self.value_owned_following,
            self.plan,
        )

    def to_tuple(self) -> tuple[Any, ...]:
        return (StateRow.to_tuple(self), self.holding, self.positions)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        row, holding, positions = data
        base = StateRow.from_tuple(row)
        return cls(
            base.event_id,
            base.filing_id,
            base.day,
            base.order,
            base.is_holding,
            base.code,
            base.acquired_disposed,
            base.shares,
            base.price,
            base.owned_following,
            base.value_owned_following,
            base.plan,
            holding,
            tuple(positions),
        )


@dataclass(frozen=True, slots=True)
class Window(_Wire):
    """Net flows of one rolling window of transaction dates, ending on the last transaction date."""

    days: int
    acquired_shares: Decimal
    disposed_shares: Decimal
    net_shares: Decimal
    bought_value_usd: Decimal
    sold_value_usd: Decimal

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.days,
            str(self.acquired_shares),
            str(self.disposed_shares),
            str(self.net_shares),
            str(self.bought_value_usd),
            str(self.sold_value_usd),
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        days, *figures = data
        return cls(days, *map(Decimal, figures))


@dataclass(frozen=True, slots=True)
class Break(_Wire):
    """A reported holding that does not follow from the prior one +/- the row's shares."""

    event_id: str
    expected: Decimal
    reported: Decimal

    def to_tuple(self) -> tuple[Any, ...]:
        return (self.event_id, str(self.expected), str(self.reported))

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        event_id, expected, reported = data
        return cls(event_id, Decimal(expected), Decimal(reported))


@dataclass(frozen=True, slots=True)
class Summary(_Wire):
    """What a position's rows say: see :func:`streams.domain.positions.summarize`."""

    shares: Decimal | None
    value_owned: Decimal | None
    as_of: date | None
    last_transaction_date: date | None
    windows: tuple[Window, ...]
    """30, 90 and 365 days; empty while the position has no dated transaction."""
    breaks: tuple[Break, ...]
    row_count: int

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            _dec(self.shares),
            _dec(self.value_owned),
            _day(self.as_of),
            _day(self.last_transaction_date),
            [w.to_tuple() for w in self.windows],
            [b.to_tuple() for b in self.breaks],
            self.row_count,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        shares, value, as_of, last, windows, breaks, count = data
        return cls(
            _undec(shares),
            _undec(value),
            _unday(as_of),
            _unday(last),
            tuple(Window.from_tuple(w) for w in windows),
            tuple(Break.from_tuple(b) for b in breaks),
            count,
        )


@dataclass(frozen=True, slots=True)
class Position(_Wire):
    """One holding: issuer x owner x security x direct/indirect, its rows (sorted) and their summary."""

    key: str
    issuer: str
    issuer_cik: str
    issuer_name: str | None
    ticker: str | None
    owner: str
    owner_name: str
    security: str
    ownership: str
    rows: tuple[StateRow, ...]
    """Sorted by :attr:`StateRow.sort_key`; one per event id."""
    summary: Summary

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.key,
            self.issuer,
            self.issuer_cik,
            self.issuer_name,
            self.ticker,
            self.owner,
            self.owner_name,
            self.security,
            self.ownership,
            [r.to_tuple() for r in self.rows],
            self.summary.to_tuple(),
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        key, issuer, cik, name, ticker, owner, owner_name, security, ownership, rows, summary = data
        return cls(
            key,
            issuer,
            cik,
            name,
            ticker,
            owner,
            owner_name,
            security,
            ownership,
            tuple(StateRow.from_tuple(r) for r in rows),
            Summary.from_tuple(summary),
        )


@dataclass(frozen=True, slots=True)
class FilingMeta(_Wire):
    """An applied (or pending) filing: everything needed to restate or retract it later."""

    filing_id: str
    issuer: str
    issuer_cik: str = ""
    issuer_name: str | None = None
    ticker: str | None = None
    group: str = ""
    """Amendment group: issuer | owners | period of report."""
    seller: str = ""
    """The joint filers as one seller (cluster rules count sellers, not owners)."""
    amendment: bool = False
    filed: date | None = None
    orig: date | None = None
    """The date of the original submission a 4/A names."""
    order: str = ""
    """Filing time (else filing date) as ISO text: which of two amendments is later."""
    accession: str | None = None
    owners: tuple[Owner, ...] = ()
    who: str = ""
    """``names (roles) of TICKER``, for alert summaries."""
    rows: tuple[FilingRow, ...] = ()
    status: Status = "pending"
    done: bool = False
    """Written once the filing's alerts were sent: a redelivery of it is then a duplicate."""
    superseded_by: str | None = None

    @classmethod
    def empty(cls, filing_id: str, issuer: str) -> Self:
        """The done marker of a filing without rows."""
        return cls(filing_id, issuer, status="empty", done=True)

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.filing_id,
            self.issuer,
            self.issuer_cik,
            self.issuer_name,
            self.ticker,
            self.group,
            self.seller,
            self.amendment,
            _day(self.filed),
            _day(self.orig),
            self.order,
            self.accession,
            [o.to_tuple() for o in self.owners],
            self.who,
            [r.to_tuple() for r in self.rows],
            self.status,
            self.done,
            self.superseded_by,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        (fid, issuer, cik, name, ticker, group, seller, amendment, filed, orig, order, accession) = data[:12]
        owners, who, rows, status, done, superseded_by = data[12:]
        return cls(
            fid,
            issuer,
            cik,
            name,
            ticker,
            group,
            seller,
            amendment,
            _unday(filed),
            _unday(orig),
            order,
            accession,
            tuple(Owner.from_tuple(o) for o in owners),
            who,
            tuple(FilingRow.from_tuple(r) for r in rows),
            status,
            done,
            superseded_by,
        )


@dataclass(frozen=True, slots=True)
class GroupMember(_Wire):
    """What the amendment logic needs of one filing of a group."""

    filing_id: str
    amendment: bool
    filed: date | None
    orig: date | None
    order: str

    def to_tuple(self) -> tuple[Any, ...]:
        return (self.filing_id, self.amendment, _day(self.filed), _day(self.orig), self.order)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        fid, amendment, filed, orig, order = data
        return cls(fid, amendment, _unday(filed), _unday(orig), order)


@dataclass(frozen=True, slots=True)
class GroupState(_Wire):
    """An amendment group: its member filings (in arrival order) and the alert ids it raised."""

    members: tuple[GroupMember, ...] = ()
    alerts: tuple[str, ...] = ()

    def member_map(self) -> dict[str, GroupMember]:
        return {m.filing_id: m for m in self.members}

    def to_tuple(self) -> tuple[Any, ...]:
        return ([m.to_tuple() for m in self.members], self.alerts)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        members, alerts = data
        return cls(tuple(GroupMember.from_tuple(m) for m in members), tuple(alerts))


@dataclass(frozen=True, slots=True)
class Sale(_Wire):
    """One open-market sale (code S, disposed), as the cluster rule reads it."""

    day: date
    seller: str
    name: str
    """The joint filers' names, ``A and B``."""
    roles: tuple[str, ...]
    """Each joint filer's role, sorted, without repeats: seniority is any of them being senior."""
    value: Decimal
    shares: Decimal
    event_id: str
    filing_id: str
    plan: bool | None

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            _day(self.day),
            self.seller,
            self.name,
            self.roles,
            str(self.value),
            str(self.shares),
            self.event_id,
            self.filing_id,
            self.plan,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        day, seller, name, roles, value, shares, event_id, filing_id, plan = data
        return cls(
            date.fromisoformat(day),
            seller,
            name,
            tuple(roles),
            Decimal(value),
            Decimal(shares),
            event_id,
            filing_id,
            plan,
        )


@dataclass(frozen=True, slots=True)
class DaySales(_Wire):
    """An issuer's open-market sales of one day, one per event id, in arrival order."""

    sales: tuple[Sale, ...] = ()

    def with_sale(self, sale: Sale) -> DaySales:
        """Add ``sale``, or replace the sale of the same event in place."""
        if any(s.event_id == sale.event_id for s in self.sales):
            return DaySales(tuple(sale if s.event_id == sale.event_id else s for s in self.sales))
        return DaySales((*self.sales, sale))

    def without(self, event_id: str) -> DaySales:
        return DaySales(tuple(s for s in self.sales if s.event_id != event_id))

    def has(self, event_id: str) -> bool:
        return any(s.event_id == event_id for s in self.sales)

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(s.to_tuple() for s in self.sales)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        return cls(tuple(Sale.from_tuple(s) for s in data))


@dataclass(frozen=True, slots=True)
class IssuerAlerts(_Wire):
    """An issuer's standing cluster alerts: (window start, alert id), in the order they were kept."""

    windows: tuple[tuple[date, str], ...] = ()

    @classmethod
    def of(cls, windows: Iterable[tuple[date, str]]) -> IssuerAlerts:
        return cls(tuple(windows))

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple((anchor.isoformat(), aid) for anchor, aid in self.windows)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        return cls(tuple((date.fromisoformat(anchor), aid) for anchor, aid in data))


@dataclass(frozen=True, slots=True)
class AlertState(_Wire):
    """An alert raised by the ledger: its record, whether it stands, and which filings moved it."""

    active: bool
    raised_by: str | None
    """The filing whose application raised it (re-sent when that same filing is redelivered)."""
    retracted_by: str | None
    record: Alert

    def to_tuple(self) -> tuple[Any, ...]:
        record = self.record.model_dump(mode="json", by_alias=True)
        return (self.active, self.raised_by, self.retracted_by, record)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        active, raised_by, retracted_by, record = data
        return cls(active, raised_by, retracted_by, Alert.model_validate(record))


__all__ = [
    "WIRE_VERSION",
    "AlertState",
    "Break",
    "DaySales",
    "FilingMeta",
    "FilingRow",
    "GroupMember",
    "GroupState",
    "IssuerAlerts",
    "Owner",
    "Position",
    "Sale",
    "StateRow",
    "Status",
    "Summary",
    "Window",
]
