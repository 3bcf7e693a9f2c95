"""Alert rules: pure functions from the active rows of a filing group (or an issuer's sales) to
alert drafts with stable ids. Thresholds come from :class:`streams.config.settings.Settings`.

Ids depend only on the trigger (rule + amendment group + holding + figures, or rule + issuer + window
start), never on arrival order, so redelivery and replays cannot raise an alert twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from streams.config.settings import Settings
from streams.domain.keys import stable_id
from streams.domain.positions import row_value, signed_shares, sort_rows
from streams.domain.records import SEVERITIES, AlertFigures, Rule, Severity, Trader
from streams.domain.state import FilingRow, RowSignal, Sale, StateRow

_CEO = re.compile(r"\bceo\b|chief\s+executive", re.I)
_CFO = re.compile(r"\bcfo\b|chief\s+financial", re.I)
_PRESIDENT = re.compile(r"(?<!vice )(?<!vice-)\bpresident\b", re.I)
_SENIOR = ("CEO", "CFO", "President", "Director")


class OwnerLike(Protocol):
    """A reporting owner: an event's (``EventOwner``) or the state's (``state.Owner``)."""

    @property
    def officer_title(self) -> str | None: ...
    @property
    def is_director(self) -> bool: ...
    @property
    def is_officer(self) -> bool: ...
    @property
    def is_ten_percent_owner(self) -> bool: ...


def role_of(owner: OwnerLike) -> str:
    """One human-readable role, most senior first."""
    title = owner.officer_title or ""
    if _CEO.search(title):
        return "CEO"
    if _CFO.search(title):
        return "CFO"
    if _PRESIDENT.search(title):
        return "President"
    if owner.is_director:
        return "Director"
    if owner.is_officer:
        return title.strip() or "Officer"
    if owner.is_ten_percent_owner:
        return "10% owner"
    return "Other"


def is_senior(roles: Iterable[str]) -> bool:
    """Whether any of the roles is senior (a joint filing is senior when one of its filers is)."""
    return any(r in _SENIOR for r in roles)


@dataclass(frozen=True)
class Draft:
    """An alert that holds on the current state; the ledger turns it into a ``form4.alert/1``."""

    alert_id: str
    rule: Rule
    severity: Severity
    event_ids: tuple[str, ...]
    filing_ids: tuple[str, ...]
    figures: AlertFigures
    summary: str
    plan_10b5_1: bool | None = None
    # Issue 11: context (filled by streams.domain.signals.context_of).
    trader: Trader | None = None
    history_start: date | None = None
    stale: bool = False
    late: bool | None = None
    lag: int | None = None
    breach: bool | None = None
    transaction_dates: tuple[date, ...] = ()
    net_change: Decimal | None = None
    evidence: tuple[tuple[str, str, str, str], ...] = ()
    """``(event id, decides, field, footnote)``."""


@dataclass(frozen=True)
class GroupContext:
    """Issue 11: what the ledger knows of a filing group beyond its rows."""

    signals: Mapping[str, RowSignal]
    """Event id -> the row's deadline and plan checks."""
    trader: Trader | None = None
    history_start: date | None = None


def _shift(base: Severity, steps: int) -> Severity:
    index = min(max(SEVERITIES.index(base) + steps, 0), len(SEVERITIES) - 1)
    return SEVERITIES[index]


def _severity(
    base: Severity,
    roles: Iterable[str],
    plan: bool,
    exercise_and_sell: bool,
    *,
    stale: bool = False,
    routine: bool = False,
) -> Severity:
    # Stale trades (filed long after they were made) are old news: never raised for seniority.
    steps = 1 if is_senior(roles) and not stale else 0
    steps -= 1 if plan else 0
    steps -= 1 if exercise_and_sell else 0
    steps -= 1 if routine else 0
    return _shift(base, steps)


def plan_downgrade(rows: Sequence[StateRow], signals: Mapping[str, RowSignal]) -> bool:
    """The one plan rule of groups and clusters: every trade under a 10b5-1 plan, none inside its
    plan's cooling-off period (issue 11)."""
    return (
        bool(rows)
        and all(r.plan for r in rows)
        and not any((sig := signals.get(r.event_id)) is not None and sig.breach for r in rows)
    )


def _sig(shares: Decimal, value: Decimal) -> str:
    # Figures are part of a filing-group alert's identity: an amendment that restates them retracts
    # the old alert and raises the restated one; a restatement with the same figures changes nothing.
    return f"{shares.normalize():f}@{value.normalize():f}"


def _money(value: Decimal) -> str:
    return f"${value:,.0f}"


def is_sale(row: StateRow) -> bool:
    """An open-market or private sale of stock: code S, disposed, in Table I.

    F (tax withholding), D, G, J... are never sale alerts, and neither is a Table II row coded S
    (writing a put is a bullish position, not a sale of shares).
    """
    return (
        not row.derivative
        and not row.is_holding
        and row.code == "S"
        and row.acquired_disposed == "D"
        and row.shares is not None
    )


def _shares(row: StateRow) -> Decimal:
    assert row.shares is not None  # only sales (see is_sale) are summed
    return row.shares


_EXERCISES = ("M", "X", "O", "C")
_OBLIGATION = re.compile(r"obligation|written|\bshort\b", re.I)


def _before(first: StateRow) -> Decimal | None:
    """The amount of a holding before a filing's first row of it, as shares of the issuer's equity."""
    after = first.held_underlying
    if after is None:
        return None
    signed = signed_shares(first)
    if signed is None:
        return after  # a holding row: the same before and after
    if first.derivative:
        if first.code in _EXERCISES:
            # An exercise or conversion gives the derivative up, whatever the A/D box says (the SNOW
            # CFO's 2022 Form 4 ticks A on the option exercised, with 2,219,299 left).
            signed = -abs(signed)
        return after - signed * first.ratio
    return after - signed


def stake(rows: Sequence[FilingRow]) -> tuple[Decimal | None, Decimal]:
    """A holder's whole reported stake in the issuer before and after a filing's rows.

    Every holding the filing shows counts: each class of stock, direct and indirect, and derivatives
    on the issuer's equity as their underlying shares (an option exercised the same day was already
    part of the stake; the shares it gives are not new). Written puts are obligations, not a stake.
    A derivative whose amount the filing leaves out counts before as the shares its exercise gave, and
    nothing after (not reported). ``None`` before when a holding sold from does not show its amount.
    """
    before = after = Decimal(0)
    by_holding: dict[str, list[FilingRow]] = {}
    for row in sort_rows(rows):
        if row.derivative and _OBLIGATION.search(row.title or row.holding):
            continue
        by_holding.setdefault(row.holding, []).append(row)
    # Shares that came from exercises or conversions were held before as the derivative. When the
    # filing shows that derivative's amount, it is in the stake already; when it does not, the shares
    # received stand for it.
    received = given_up = Decimal(0)
    for held in by_holding.values():
        figure = _before(held[0])
        exercises = [r for r in held if r.code in _EXERCISES and signed_shares(r) is not None]
        if held[0].derivative:
            if figure is not None:
                given_up += sum(
                    (abs(signed_shares(r) or Decimal(0)) * r.ratio for r in exercises), Decimal(0)
                )
        else:
            received += sum(
                (signed_shares(r) or Decimal(0) for r in exercises if r.acquired_disposed == "A"), Decimal(0)
            )
        if figure is None:
            if any(is_sale(r) for r in held):
                return None, after
            continue
        before += figure
        after += held[-1].held_underlying or Decimal(0)
    before += max(received - given_up, Decimal(0))
    return before, after


def is_stale(rows: Sequence[StateRow], signals: Mapping[str, RowSignal], settings: Settings) -> bool:
    """Whether any of the trades was filed more than ``stale_trade_days`` after it was made."""
    for r in rows:
        sig = signals.get(r.event_id)
        if sig is not None and sig.filed is not None and r.day is not None:
            if (sig.filed - r.day).days > settings.stale_trade_days:
                return True
    return False


def is_purchase(row: StateRow) -> bool:
    """An open-market or private purchase of stock: code P, acquired, in Table I (issue 11)."""
    return (
        not row.derivative
        and not row.is_holding
        and row.code == "P"
        and row.acquired_disposed == "A"
        and row.shares is not None
    )


def group_drafts(
    group: str,
    rows: Sequence[FilingRow],
    owners: Iterable[OwnerLike],
    who: str,
    settings: Settings,
    context: GroupContext | None = None,
) -> list[Draft]:
    """Alerts of one amendment group (issuer x owners x period) from its active rows."""
    from streams.domain.signals import finish, group_signal_drafts  # signals builds on this module

    ctx = context or GroupContext(signals={})
    roles = [role_of(o) for o in owners]
    drafts = group_signal_drafts(group, rows, roles, who, settings, ctx)
    drafts.extend(_sale_drafts(group, rows, roles, who, settings, ctx))
    return [finish(d, rows, ctx, settings) for d in drafts]


def _sale_drafts(
    group: str,
    rows: Sequence[FilingRow],
    roles: list[str],
    who: str,
    settings: Settings,
    ctx: GroupContext,
) -> list[Draft]:
    sales = [r for r in rows if is_sale(r)]
    if not sales:
        return []
    drafts: list[Draft] = []
    exercised_dates = {
        (r.holder, r.day)
        for r in rows
        if not r.derivative and r.code in ("M", "X", "O", "C") and r.acquired_disposed == "A"
    }
    total_value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    total_shares = sum((_shares(r) for r in sales), Decimal(0))
    plan = plan_downgrade(sales, ctx.signals)
    under_plan = all(r.plan for r in sales)
    ex_sell = any((r.holder, r.day) in exercised_dates for r in sales)
    stale = is_stale(sales, ctx.signals, settings)
    routine = ctx.trader == "routine"
    if total_value >= settings.large_sale_usd:
        drafts.append(
            Draft(
                alert_id=stable_id("large_sale", group, _sig(total_shares, total_value)),
                rule="large_sale",
                severity=_severity("high", roles, plan, ex_sell, stale=stale, routine=routine),
                event_ids=tuple(sorted(r.event_id for r in sales)),
                filing_ids=tuple(sorted({r.filing_id for r in sales})),
                figures=AlertFigures(shares=total_shares, value_usd=total_value),
                summary=f"{who} sold {total_shares:,f} shares for {_money(total_value)} on the open market",
                plan_10b5_1=under_plan,
            )
        )
    for holder in sorted({r.holder for r in sales}):
        drafts.extend(
            _holder_drafts(
                group,
                holder,
                [r for r in rows if r.holder == holder],
                roles,
                who,
                exercised_dates,
                settings,
                ctx,
            )
        )
    return drafts


def _holder_drafts(
    group: str,
    holder: str,
    rows: list[FilingRow],
    roles: list[str],
    who: str,
    exercised_dates: set[tuple[str, date | None]],
    settings: Settings,
    ctx: GroupContext,
) -> list[Draft]:
    """Liquidation or large fraction sold, measured on the holder's whole reported stake."""
    sales = [r for r in sort_rows(rows) if is_sale(r)]
    sold = sum((_shares(r) for r in sales), Decimal(0))
    value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    before, after = stake(rows)
    if before is None or before <= 0:
        return []  # the filing does not show the stake: no fraction can be computed
    pct = (sold / before * 100).quantize(Decimal("0.01"))
    avg_price = value / sold if sold else Decimal(0)
    plan = plan_downgrade(sales, ctx.signals)
    under_plan = all(r.plan for r in sales)
    ex_sell = any((r.holder, r.day) in exercised_dates for r in sales)
    stale = is_stale(sales, ctx.signals, settings)
    routine = ctx.trader == "routine"
    figures = AlertFigures(
        shares=sold,
        value_usd=value,
        pct_of_holding_sold=pct,
        holding_before=before,
        holding_after=after,
    )
    event_ids = tuple(sorted(r.event_id for r in sales))
    filing_ids = tuple(sorted({r.filing_id for r in sales}))
    if after == 0 and before * avg_price >= settings.liquidation_min_usd:
        # A liquidation is also a 100% fraction sold: report the stronger rule only.
        return [
            Draft(
                alert_id=stable_id("liquidation", group, holder, _sig(sold, value)),
                rule="liquidation",
                severity=_severity("high", roles, plan, ex_sell, stale=stale, routine=routine),
                event_ids=event_ids,
                filing_ids=filing_ids,
                figures=figures,
                summary=f"{who} sold their whole reported stake, {before:,f} shares ({_money(value)})",
                plan_10b5_1=under_plan,
            )
        ]
    if pct >= settings.fraction_sold * 100 and value >= settings.fraction_sold_min_usd:
        return [
            Draft(
                alert_id=stable_id("large_fraction_sold", group, holder, _sig(sold, value)),
                rule="large_fraction_sold",
                severity=_severity("medium", roles, plan, ex_sell, stale=stale, routine=routine),
                event_ids=event_ids,
                filing_ids=filing_ids,
                figures=figures,
                summary=f"{who} sold {pct}% of their reported stake ({sold:,f} shares, {_money(value)})",
                plan_10b5_1=under_plan,
            )
        ]
    return []


def _insiders(sellers: Iterable[str]) -> dict[str, str]:
    """Seller key -> one key per person: joint filers (``a+b``) are one insider, and a person filing
    alone and in a group is that same insider (issue 11). Overlapping owner sets merge."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    sellers = sorted(set(sellers))
    for seller in sellers:
        owners = seller.split("+")
        for other in owners[1:]:
            a, b = find(owners[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {seller: find(seller.split("+")[0]) for seller in sellers}


def cluster_drafts(
    issuer: str,
    sales: Sequence[Sale],
    anchors: tuple[date, date],
    settings: Settings,
    rule: Rule = "cluster_selling",
) -> list[Draft]:
    """Cluster windows (selling, or buying with ``rule="cluster_buying"``) anchored at trade dates
    within ``anchors`` (inclusive).

    ``sales`` are the issuer's open-market trades of that side around the anchors. A window
    [d, d + window - 1] holds when enough distinct insiders each traded at least the minimum in it; a
    window whose insiders all belong to an earlier holding window within reach is not repeated.
    """
    buying = rule == "cluster_buying"
    window_days = settings.cluster_buy_window_days if buying else settings.cluster_window_days
    min_usd = settings.cluster_buy_min_usd if buying else settings.cluster_min_usd
    min_insiders = settings.cluster_buy_min_insiders if buying else settings.cluster_min_insiders
    span = timedelta(days=window_days - 1)
    person = _insiders(s.seller for s in sales)
    dates = sorted({s.day for s in sales})
    qualifying: dict[date, tuple[frozenset[str], list[Sale]]] = {}
    for start in dates:
        inside = [s for s in sales if start <= s.day <= start + span]
        per_insider: dict[str, Decimal] = {}
        for s in inside:
            per_insider[person[s.seller]] = per_insider.get(person[s.seller], Decimal(0)) + s.value
        members = frozenset(k for k, v in per_insider.items() if v >= min_usd)
        if len(members) >= min_insiders and any(
            s.day == start for s in inside if person[s.seller] in members
        ):
            qualifying[start] = (members, [s for s in inside if person[s.seller] in members])
    drafts = []
    for start, (members, rows) in sorted(qualifying.items()):
        if not anchors[0] <= start <= anchors[1]:
            continue
        if any(
            earlier < start and start - earlier <= span and members <= m
            for earlier, (m, _) in qualifying.items()
        ):
            continue
        value = sum((r.value for r in rows), Decimal(0))
        shares = sum((r.shares for r in rows), Decimal(0))
        names = sorted({f"{r.name} ({'/'.join(r.roles)})" for r in rows})
        # Every filer's role counts: a joint CEO + fund filing is a senior seller.
        roles = [role for r in rows for role in r.roles]
        plan = all(r.plan for r in rows)
        days = tuple(sorted({r.day for r in rows}))
        verb = "bought" if buying else "sold"
        drafts.append(
            Draft(
                alert_id=stable_id(rule, issuer, start.isoformat())
                if buying
                else stable_id("cluster_selling", issuer, start.isoformat()),
                rule=rule,
                severity=_severity("high", roles, plan, False),
                event_ids=tuple(sorted(r.event_id for r in rows)),
                filing_ids=tuple(sorted({r.filing_id for r in rows})),
                figures=AlertFigures(
                    shares=shares,
                    value_usd=value,
                    window_days=window_days,
                    window_start=start,
                    window_end=start + span,
                    window_sold_shares=None if buying else shares,
                    window_sold_value_usd=None if buying else value,
                    cluster_members=tuple(names),
                ),
                summary=f"{len(members)} insiders {verb} {_money(value)} within "
                f"{window_days} days from {start.isoformat()}: {', '.join(names)}",
                plan_10b5_1=plan,
                transaction_dates=days,
            )
        )
    return drafts
