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
* ``positions``: issuer|holder|security|ownership -> :class:`Position` (rows and their summary);
* ``sales``: issuer|date -> :class:`DaySales` (open-market sales of that day, for cluster rules);
* ``issuer_alerts``: issuer -> :class:`IssuerAlerts` (cluster alert ids by window start);
* ``alerts``: alert id -> :class:`AlertState` (the alert record and whether it stands);
* ``insiders``: issuer|insider -> :class:`InsiderHistory` (issue 11: the insider's rows, for first
  purchases, repeat sellers and the routine/opportunistic classification). Open-market purchases share
  ``sales`` (keys ``issuer|P|date``) and ``issuer_alerts`` (key ``issuer|P``) with the sales.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

import orjson

from streams.domain.keys import name_key
from streams.domain.records import Alert
from streams.domain.wire import right_sized

WIRE_VERSION = 2
"""Leads every encoded record: a record of another layout fails loudly instead of decoding wrongly."""

Status = Literal["pending", "active", "superseded", "empty"]
"""A filing's state: ``empty`` has no rows (nothing to apply); ``superseded`` was amended."""


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)  # str() keeps sign, digits and exponent exactly


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def exact(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (220000, not 2.2E+5)."""
    reduced = value.normalize()
    exponent = reduced.as_tuple().exponent
    return reduced.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else reduced


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
        return right_sized(orjson.dumps((WIRE_VERSION, self.to_tuple())))

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
        return self.cik or f"name:{name_key(self.name)}"

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
    table: str
    """``non_derivative`` (Table I, stock) or ``derivative`` (Table II: options, RSUs, warrants...)."""
    underlying_shares: Decimal | None
    """Table II: the underlying amount of the row (of the transaction, or of the holding on a holding row)."""

    @property
    def sort_key(self) -> tuple[bool, date, str]:
        # Undated rows first, then by day, then by order.
        return (self.day is not None, self.day or date.min, self.order)

    @property
    def derivative(self) -> bool:
        return self.table == "derivative"

    def to_tuple_fields(self) -> tuple[Any, ...]:
        """The fields of a :class:`StateRow`, decoded, in order (to build one from a subclass)."""
        return tuple(getattr(self, f) for f in _STATE_ROW_FIELDS)

    @property
    def ratio(self) -> Decimal:
        """Underlying shares per derivative unit: the row's own ratio when it shows both, else one."""
        if self.shares and self.underlying_shares is not None:
            return self.underlying_shares / self.shares
        return Decimal(1)

    @property
    def held(self) -> Decimal | None:
        """The amount held after the row, in the row's own units; a derivative holding that shows no
        following amount (Form 3 options) is held as its underlying amount."""
        if self.owned_following is not None:
            return self.owned_following
        if self.derivative and self.is_holding:
            return self.underlying_shares
        return None

    @property
    def held_underlying(self) -> Decimal | None:
        """The amount held after the row in shares of the issuer's equity (Table II: as underlying)."""
        if not self.derivative:
            return self.owned_following
        if self.is_holding and self.underlying_shares is not None:
            return self.underlying_shares
        if self.owned_following is None:
            return None
        return exact(self.owned_following * self.ratio)

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
            self.table,
            _dec(self.underlying_shares),
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        e, f, d, o, h, c, ad, s, p, fo, vf, pl, t, u = data
        return cls(
            e, f, _unday(d), o, h, c, ad, _undec(s), _undec(p), _undec(fo), _undec(vf), pl, t, _undec(u)
        )


_STATE_ROW_FIELDS = tuple(StateRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class FilingRow(StateRow):
    """A row as its filing keeps it: also its holding, its holder and the position it updates."""

    holding: str
    """``security | ownership``: the holding within the holder's positions."""
    holder: str
    """An owner key, or ``group:<owner>+<owner>...`` for a joint filing's row no footnote attributes."""
    holder_owners: tuple[str, ...]
    """Owner keys of the holder (one, or every joint filer)."""
    position: str
    """``issuer | holder | holding``: the one position this row updates (never one per joint filer)."""
    title: str | None
    direct_indirect: str | None
    nature: str | None
    vehicle: str | None
    """The footnote text naming the row's vehicle, if any (streams.domain.keys.vehicle_of)."""

    def state_row(self) -> StateRow:
        """The row as a position keeps it (without the filing's routing fields)."""
        return StateRow(*StateRow.to_tuple_fields(self))

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            StateRow.to_tuple(self),
            self.holding,
            self.holder,
            self.holder_owners,
            self.position,
            self.title,
            self.direct_indirect,
            self.nature,
            self.vehicle,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        row, holding, holder, owners, position, title, di, nature, vehicle = data
        fields = dict(zip(_STATE_ROW_FIELDS, StateRow.from_tuple(row).to_tuple_fields(), strict=True))
        return cls(
            **fields,
            holding=holding,
            holder=holder,
            holder_owners=tuple(owners),
            position=position,
            title=title,
            direct_indirect=di,
            nature=nature,
            vehicle=vehicle,
        )


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
class Gap(_Wire):
    """A change of the reported holding across a stretch with no filing seen: coverage, not a break."""

    event_id: str
    since: date
    """The day of the prior reported figure."""
    until: date
    expected: Decimal
    reported: Decimal

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.event_id,
            self.since.isoformat(),
            self.until.isoformat(),
            str(self.expected),
            str(self.reported),
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        event_id, since, until, expected, reported = data
        return cls(
            event_id,
            date.fromisoformat(since),
            date.fromisoformat(until),
            Decimal(expected),
            Decimal(reported),
        )


@dataclass(frozen=True, slots=True)
class Summary(_Wire):
    """What a position's rows say: see :func:`streams.domain.positions.summarize`.

    Rolling flows are not stored: they depend on the day they are read (see ``positions.windows``).
    """

    shares: Decimal | None
    """The latest reported amount held (Table II: derivative units, else the underlying amount)."""
    value_owned: Decimal | None
    underlying_shares: Decimal | None
    """Table II: the latest reported amount as shares of the underlying."""
    as_of: date | None
    last_transaction_date: date | None
    breaks: tuple[Break, ...]
    gaps: tuple[Gap, ...]
    row_count: int

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            _dec(self.shares),
            _dec(self.value_owned),
            _dec(self.underlying_shares),
            _day(self.as_of),
            _day(self.last_transaction_date),
            [b.to_tuple() for b in self.breaks],
            [g.to_tuple() for g in self.gaps],
            self.row_count,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        shares, value, underlying, as_of, last, breaks, gaps, count = data
        return cls(
            _undec(shares),
            _undec(value),
            _undec(underlying),
            _unday(as_of),
            _unday(last),
            tuple(Break.from_tuple(b) for b in breaks),
            tuple(Gap.from_tuple(g) for g in gaps),
            count,
        )


@dataclass(frozen=True, slots=True)
class PositionOwner(_Wire):
    """One owner of a position's holder."""

    key: str
    cik: str | None
    name: str

    def to_tuple(self) -> tuple[Any, ...]:
        return (self.key, self.cik, self.name)

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        return cls(*data)


@dataclass(frozen=True, slots=True)
class Position(_Wire):
    """One holding of one holder: issuer x holder x security x direct/indirect vehicle, its rows
    (sorted) and their summary."""

    key: str
    issuer: str
    issuer_cik: str
    issuer_name: str | None
    ticker: str | None
    holder: str
    """An owner key, or ``group:...`` for the joint filers together."""
    owners: tuple[PositionOwner, ...]
    security: str
    """The security part of the key (for derivatives, the series)."""
    security_title: str | None
    table: str
    ownership: str
    """The ownership part of the key: ``D[#<vehicle digest>]`` or ``I:<nature>[#<vehicle digest>]``."""
    direct_indirect: str | None
    nature: str | None
    vehicle: str | None
    rows: tuple[StateRow, ...]
    """Sorted by :attr:`StateRow.sort_key`; one per event id."""
    summary: Summary
    names_from: str = ""
    """The filing whose names (issuer, ticker, owners, title) are shown: the latest one among the
    position's rows, so the names are a function of the filings that stand, never of arrival order."""

    @property
    def holder_kind(self) -> str:
        return "group" if self.holder.startswith("group:") else "owner"

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.key,
            self.issuer,
            self.issuer_cik,
            self.issuer_name,
            self.ticker,
            self.holder,
            [o.to_tuple() for o in self.owners],
            self.security,
            self.security_title,
            self.table,
            self.ownership,
            self.direct_indirect,
            self.nature,
            self.vehicle,
            [r.to_tuple() for r in self.rows],
            self.summary.to_tuple(),
            self.names_from,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        (key, issuer, cik, name, ticker, holder, owners, security, title, table, ownership) = data[:11]
        di, nature, vehicle, rows, summary = data[11:16]
        names_from = data[16] if len(data) > 16 else ""
        return cls(
            key,
            issuer,
            cik,
            name,
            ticker,
            holder,
            tuple(PositionOwner.from_tuple(o) for o in owners),
            security,
            title,
            table,
            ownership,
            di,
            nature,
            vehicle,
            tuple(StateRow.from_tuple(r) for r in rows),
            Summary.from_tuple(summary),
            names_from,
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
    signals: tuple[RowSignal, ...] = ()
    """Issue 11: each row's deadline and plan checks and the footnotes that decided them."""
    form_type: str = ""
    # Issue 10: amendments as they are really filed (see streams.domain.amendments).
    home: str = ""
    """The filing's own amendment group (issuer | owners | its period); ``group`` is where its rows
    count: the group of the original it amends, or ``home`` for an original or an orphan amendment."""
    period: date | None = None
    refs: tuple[str, ...] = ()
    """Accession numbers its remarks and footnotes name (an amendment naming its original)."""
    part: str | None = None
    """``"1 of 2"`` for a continuation filing, from its remarks."""
    complete: bool = False
    """An amendment whose remarks say it restates the whole filing."""
    deletions: tuple[str, ...] = ()
    """Event ids of an amendment's rows that delete the line they restate (zero shares, or a remark
    or footnote saying the transaction is deleted)."""
    base: str | None = None
    """An amendment: the filing it amends, ``None`` while that original is unseen (an orphan)."""
    live: tuple[str, ...] = ()
    """Event ids of its rows that stand (not restated by a later amendment)."""

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
            [g.to_tuple() for g in self.signals],
            self.form_type,
            self.home,
            _day(self.period),
            self.refs,
            self.part,
            self.complete,
            self.deletions,
            self.base,
            self.live,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        (fid, issuer, cik, name, ticker, group, seller, amendment, filed, orig, order, accession) = data[:12]
        owners, who, rows, status, done, superseded_by = data[12:18]
        signals, form_type = (*data[18:20], [], "")[:2]  # records written before issue 11 lack them
        # Records written before issue 10 lack these: an active one's rows all stand.
        home, period, refs, part, complete, deletions, base = (
            *data[20:27],
            group,
            None,
            (),
            None,
            False,
            (),
            None,
        )[:7]
        live = data[27] if len(data) > 27 else [r[0][0] for r in rows] if status == "active" else []
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
            tuple(RowSignal.from_tuple(g) for g in signals),
            form_type,
            home,
            _unday(period),
            tuple(refs),
            part,
            complete,
            tuple(deletions),
            base,
            tuple(live),
        )


@dataclass(frozen=True, slots=True)
class RowSignal(_Wire):
    """Issue 11: what one row's event says about its deadline and its plan, kept for alert context."""

    event_id: str
    filed: date | None
    """EDGAR's filing date (null for a bare XML document)."""
    late: bool | None
    lag: int | None
    """Filing lag in US federal business days."""
    due: date | None
    breach: bool | None
    """10b5-1 plan trade inside its cooling-off period."""
    evidence: tuple[tuple[str, str, str], ...] = ()
    """``(decides, field, footnote)``: plan, lateness or exercise, and the footnote that decided it."""

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.event_id,
            _day(self.filed),
            self.late,
            self.lag,
            _day(self.due),
            self.breach,
            [list(e) for e in self.evidence],
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        event_id, filed, late, lag, due, breach, evidence = data
        return cls(
            event_id, _unday(filed), late, lag, _unday(due), breach, tuple((a, b, c) for a, b, c in evidence)
        )


@dataclass(frozen=True, slots=True)
class Trade(_Wire):
    """Issue 11: one row of an insider's history: an open-market trade (``P``/``S``) or any other row."""

    event_id: str
    filing_id: str
    day: date
    kind: str
    """``P`` open-market purchase, ``S`` open-market sale, ``-`` any other row (history depth only)."""
    shares: Decimal | None = None
    value: Decimal | None = None
    plan: bool | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        return (
            self.event_id,
            self.filing_id,
            self.day.isoformat(),
            self.kind,
            _dec(self.shares),
            _dec(self.value),
            self.plan,
        )

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        event_id, filing_id, day, kind, shares, value, plan = data
        return cls(event_id, filing_id, date.fromisoformat(day), kind, _undec(shares), _undec(value), plan)


@dataclass(frozen=True, slots=True)
class InsiderHistory(_Wire):
    """Issue 11: one insider's rows in one issuer (the history seen) and the insider-level alert ids.

    One per event id, so the record is a function of the set of filings applied, not of their order.
    """

    trades: tuple[Trade, ...] = ()
    alerts: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    """The amendment groups of the insider's filings: their alerts are recomputed when older history
    arrives (the trader classification depends on it)."""

    def with_rows(self, trades: Iterable[Trade], group: str) -> InsiderHistory:
        known = {t.event_id: t for t in self.trades}
        known.update((t.event_id, t) for t in trades)
        ordered = tuple(sorted(known.values(), key=lambda t: (t.day, t.event_id)))
        groups = self.groups if group in self.groups else tuple(sorted((*self.groups, group)))
        return InsiderHistory(ordered, self.alerts, groups)

    def without(self, event_ids: set[str]) -> InsiderHistory:
        return InsiderHistory(
            tuple(t for t in self.trades if t.event_id not in event_ids), self.alerts, self.groups
        )

    def to_tuple(self) -> tuple[Any, ...]:
        return ([t.to_tuple() for t in self.trades], list(self.alerts), list(self.groups))

    @classmethod
    def from_tuple(cls, data: Sequence[Any]) -> Self:
        trades, alerts, groups = data
        return cls(tuple(Trade.from_tuple(t) for t in trades), tuple(alerts), tuple(groups))


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
    """An issuer's cluster alerts: (window start, alert id), in the order they were kept. Those standing,
    and those the last change of their window retracted (kept until the next one, for a redelivery after
    a crash mid-write to find)."""

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
    "Gap",
    "GroupMember",
    "GroupState",
    "InsiderHistory",
    "IssuerAlerts",
    "Owner",
    "Position",
    "PositionOwner",
    "RowSignal",
    "Sale",
    "StateRow",
    "Status",
    "Summary",
    "Trade",
]
