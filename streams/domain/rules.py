"""Alert rules: pure functions from the active rows of a filing group (or an issuer's sales) to
alert drafts with stable ids. Thresholds come from :class:`streams.config.settings.Settings`.

Ids depend only on the trigger (rule + amendment group + holding + figures, or rule + issuer + window
start), never on arrival order, so redelivery and replays cannot raise an alert twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from streams.config.settings import Settings
from streams.domain.keys import stable_id
from streams.domain.positions import row_value, sort_rows
from streams.domain.records import SEVERITIES, AlertFigures, Rule, Severity
from streams.domain.state import FilingRow, Sale, StateRow

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


def _shift(base: Severity, steps: int) -> Severity:
    index = min(max(SEVERITIES.index(base) + steps, 0), len(SEVERITIES) - 1)
    return SEVERITIES[index]


def _severity(base: Severity, roles: Iterable[str], plan: bool, exercise_and_sell: bool) -> Severity:
    steps = 1 if is_senior(roles) else 0
    steps -= 1 if plan else 0
    steps -= 1 if exercise_and_sell else 0
    return _shift(base, steps)


def _sig(shares: Decimal, value: Decimal) -> str:
    # Figures are part of a filing-group alert's identity: an amendment that restates them retracts
    # the old alert and raises the restated one; a restatement with the same figures changes nothing.
    return f"{shares.normalize():f}@{value.normalize():f}"


def _money(value: Decimal) -> str:
    return f"${value:,.0f}"


def _is_sale(row: StateRow) -> bool:
    # Open-market or private sale only: F (tax withholding), D, G, J... are never sale alerts.
    return not row.is_holding and row.code == "S" and row.acquired_disposed == "D" and row.shares is not None


def _shares(row: StateRow) -> Decimal:
    assert row.shares is not None  # only sales (see _is_sale) are summed
    return row.shares


def group_drafts(
    group: str, rows: Sequence[FilingRow], owners: Iterable[OwnerLike], who: str, settings: Settings
) -> list[Draft]:
    """Alerts of one amendment group (issuer x owners x period) from its active rows."""
    roles = [role_of(o) for o in owners]
    sales = [r for r in rows if _is_sale(r)]
    if not sales:
        return []
    drafts: list[Draft] = []
    exercised_dates = {
        (r.holding, r.day) for r in rows if r.code in ("M", "X", "O") and r.acquired_disposed == "A"
    }
    total_value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    total_shares = sum((_shares(r) for r in sales), Decimal(0))
    plan = any(r.plan for r in sales)
    ex_sell = any((r.holding, r.day) in exercised_dates for r in sales)
    if total_value >= settings.large_sale_usd:
        drafts.append(
            Draft(
                alert_id=stable_id("large_sale", group, _sig(total_shares, total_value)),
                rule="large_sale",
                severity=_severity("high", roles, plan, ex_sell),
                event_ids=tuple(sorted(r.event_id for r in sales)),
                filing_ids=tuple(sorted({r.filing_id for r in sales})),
                figures=AlertFigures(shares=total_shares, value_usd=total_value),
                summary=f"{who} sold {total_shares:,f} shares for {_money(total_value)} on the open market",
                plan_10b5_1=plan,
            )
        )
    for holding in sorted({r.holding for r in sales}):
        drafts.extend(
            _holding_drafts(
                group,
                holding,
                [r for r in rows if r.holding == holding],
                roles,
                who,
                exercised_dates,
                settings,
            )
        )
    return drafts


def _holding_drafts(
    group: str,
    holding: str,
    rows: list[FilingRow],
    roles: list[str],
    who: str,
    exercised_dates: set[tuple[str, date | None]],
    settings: Settings,
) -> list[Draft]:
    ordered = sort_rows(rows)
    first_sale = next(i for i, r in enumerate(ordered) if _is_sale(r))
    sales = [r for r in ordered if _is_sale(r)]
    sold = sum((_shares(r) for r in sales), Decimal(0))
    value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    prior = ordered[first_sale - 1].owned_following if first_sale > 0 else None
    first = ordered[first_sale]
    if prior is not None:
        before = prior
    elif first.owned_following is not None:
        before = first.owned_following + _shares(first)
    else:
        return []  # the filing does not show the holding: no fraction can be computed
    after = ordered[-1].owned_following
    if before <= 0:
        return []
    pct = (sold / before * 100).quantize(Decimal("0.01"))
    avg_price = value / sold if sold else Decimal(0)
    plan = any(r.plan for r in sales)
    ex_sell = any((r.holding, r.day) in exercised_dates for r in sales)
    figures = AlertFigures(
        shares=sold,
        value_usd=value,
        pct_of_holding_sold=pct,
        holding_before=before,
        holding_after=after,
    )
    event_ids = tuple(sorted(r.event_id for r in sales))
    filing_ids = tuple(sorted({r.filing_id for r in sales}))
    security = holding.split("|", 1)[0]
    if after is not None and after == 0 and before * avg_price >= settings.liquidation_min_usd:
        # A liquidation is also a 100% fraction sold: report the stronger rule only.
        return [
            Draft(
                alert_id=stable_id("liquidation", group, holding, _sig(sold, value)),
                rule="liquidation",
                severity=_severity("high", roles, plan, ex_sell),
                event_ids=event_ids,
                filing_ids=filing_ids,
                figures=figures,
                summary=f"{who} sold all {before:,f} shares of {security} ({_money(value)})",
                plan_10b5_1=plan,
            )
        ]
    if pct >= settings.fraction_sold * 100 and value >= settings.fraction_sold_min_usd:
        return [
            Draft(
                alert_id=stable_id("large_fraction_sold", group, holding, _sig(sold, value)),
                rule="large_fraction_sold",
                severity=_severity("medium", roles, plan, ex_sell),
                event_ids=event_ids,
                filing_ids=filing_ids,
                figures=figures,
                summary=f"{who} sold {pct}% of their {security} ({sold:,f} shares, {_money(value)})",
                plan_10b5_1=plan,
            )
        ]
    return []


def cluster_drafts(
    issuer: str, sales: Sequence[Sale], anchors: tuple[date, date], settings: Settings
) -> list[Draft]:
    """Cluster-selling windows anchored at sale dates within ``anchors`` (inclusive).

    ``sales`` are the issuer's open-market sales around the anchors. A window [d, d + window - 1]
    holds when enough distinct sellers each sold at least the minimum in it; a window whose sellers
    all belong to an earlier holding window within reach is not repeated.
    """
    span = timedelta(days=settings.cluster_window_days - 1)
    dates = sorted({s.day for s in sales})
    qualifying: dict[date, tuple[frozenset[str], list[Sale]]] = {}
    for start in dates:
        inside = [s for s in sales if start <= s.day <= start + span]
        per_seller: dict[str, Decimal] = {}
        for s in inside:
            per_seller[s.seller] = per_seller.get(s.seller, Decimal(0)) + s.value
        members = frozenset(k for k, v in per_seller.items() if v >= settings.cluster_min_usd)
        if len(members) >= settings.cluster_min_insiders and any(
            s.day == start for s in inside if s.seller in members
        ):
            qualifying[start] = (members, [s for s in inside if s.seller in members])
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
        drafts.append(
            Draft(
                alert_id=stable_id("cluster_selling", issuer, start.isoformat()),
                rule="cluster_selling",
                severity=_severity("high", roles, plan, False),
                event_ids=tuple(sorted(r.event_id for r in rows)),
                filing_ids=tuple(sorted({r.filing_id for r in rows})),
                figures=AlertFigures(
                    shares=shares,
                    value_usd=value,
                    window_days=settings.cluster_window_days,
                    window_start=start,
                    window_end=start + span,
                    window_sold_shares=shares,
                    window_sold_value_usd=value,
                    cluster_members=tuple(names),
                ),
                summary=f"{len(members)} insiders sold {_money(value)} within "
                f"{settings.cluster_window_days} days from {start.isoformat()}: {', '.join(names)}",
                plan_10b5_1=plan,
            )
        )
    return drafts
