"""Alert rules: pure functions from the active rows of a filing group (or an issuer's sales) to
alert drafts with stable ids. Thresholds come from :class:`streams.config.settings.Settings`.

Ids depend only on the trigger (rule + amendment group + holding + figures, or rule + issuer + window
start), never on arrival order, so redelivery and replays cannot raise an alert twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from streams.config.settings import Settings
from streams.domain.keys import stable_id
from streams.domain.positions import Row, row_value, sort_rows
from streams.domain.records import SEVERITIES, AlertFigures, Rule, Severity

_CEO = re.compile(r"\bceo\b|chief\s+executive", re.I)
_CFO = re.compile(r"\bcfo\b|chief\s+financial", re.I)
_PRESIDENT = re.compile(r"(?<!vice )(?<!vice-)\bpresident\b", re.I)
_SENIOR = ("CEO", "CFO", "President", "Director")


def role_of(owner: dict[str, Any]) -> str:
    """One human-readable role, most senior first."""
    title = owner.get("officer_title") or ""
    if _CEO.search(title):
        return "CEO"
    if _CFO.search(title):
        return "CFO"
    if _PRESIDENT.search(title):
        return "President"
    if owner.get("is_director"):
        return "Director"
    if owner.get("is_officer"):
        return title.strip() or "Officer"
    if owner.get("is_ten_percent_owner"):
        return "10% owner"
    return "Other"


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
    owner_keys: tuple[str, ...] = field(default=())


def _shift(base: Severity, steps: int) -> Severity:
    index = min(max(SEVERITIES.index(base) + steps, 0), len(SEVERITIES) - 1)
    return SEVERITIES[index]


def _severity(base: Severity, roles: list[str], plan: bool, exercise_and_sell: bool) -> Severity:
    steps = 1 if any(r in _SENIOR for r in roles) else 0
    steps -= 1 if plan else 0
    steps -= 1 if exercise_and_sell else 0
    return _shift(base, steps)


def _sig(shares: Decimal, value: Decimal) -> str:
    # Figures are part of a filing-group alert's identity: an amendment that restates them retracts
    # the old alert and raises the restated one; a restatement with the same figures changes nothing.
    return f"{shares.normalize():f}@{value.normalize():f}"


def _money(value: Decimal) -> str:
    return f"${value:,.0f}"


def _is_sale(row: Row) -> bool:
    # Open-market or private sale only: F (tax withholding), D, G, J... are never sale alerts.
    return not row["h"] and row["c"] == "S" and row["ad"] == "D" and row["s"] is not None


def group_drafts(
    group: str, rows: list[Row], owners: list[dict[str, Any]], who: str, settings: Settings
) -> list[Draft]:
    """Alerts of one amendment group (issuer x owners x period) from its active rows.

    ``rows`` carry an extra ``"k"`` key: the holding (security | direct/indirect) they belong to.
    """
    roles = [role_of(o) for o in owners]
    sales = [r for r in rows if _is_sale(r)]
    if not sales:
        return []
    drafts: list[Draft] = []
    exercised_dates = {(r["k"], r["d"]) for r in rows if r["c"] in ("M", "X", "O") and r["ad"] == "A"}
    total_value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    total_shares = sum((Decimal(r["s"]) for r in sales), Decimal(0))
    plan = any(r["pl"] for r in sales)
    ex_sell = any((r["k"], r["d"]) in exercised_dates for r in sales)
    if total_value >= settings.large_sale_usd:
        drafts.append(
            Draft(
                alert_id=stable_id("large_sale", group, _sig(total_shares, total_value)),
                rule="large_sale",
                severity=_severity("high", roles, plan, ex_sell),
                event_ids=tuple(sorted(r["e"] for r in sales)),
                filing_ids=tuple(sorted({r["f"] for r in sales})),
                figures=AlertFigures(shares=total_shares, value_usd=total_value),
                summary=f"{who} sold {total_shares:,f} shares for {_money(total_value)} on the open market",
                plan_10b5_1=plan,
            )
        )
    for holding in sorted({r["k"] for r in sales}):
        drafts.extend(
            _holding_drafts(
                group, holding, [r for r in rows if r["k"] == holding], roles, who, exercised_dates, settings
            )
        )
    return drafts


def _holding_drafts(
    group: str,
    holding: str,
    rows: list[Row],
    roles: list[str],
    who: str,
    exercised_dates: set[tuple[str, str | None]],
    settings: Settings,
) -> list[Draft]:
    ordered = sort_rows(rows)
    first_sale = next(i for i, r in enumerate(ordered) if _is_sale(r))
    sales = [r for r in ordered if _is_sale(r)]
    sold = sum((Decimal(r["s"]) for r in sales), Decimal(0))
    value = sum((row_value(r) or Decimal(0) for r in sales), Decimal(0))
    prior = ordered[first_sale - 1]["fo"] if first_sale > 0 else None
    first = ordered[first_sale]
    if prior is not None:
        before = Decimal(prior)
    elif first["fo"] is not None:
        before = Decimal(first["fo"]) + Decimal(first["s"])
    else:
        return []  # the filing does not show the holding: no fraction can be computed
    after = ordered[-1]["fo"]
    if before <= 0:
        return []
    pct = (sold / before * 100).quantize(Decimal("0.01"))
    avg_price = value / sold if sold else Decimal(0)
    plan = any(r["pl"] for r in sales)
    ex_sell = any((r["k"], r["d"]) in exercised_dates for r in sales)
    figures = AlertFigures(
        shares=sold,
        value_usd=value,
        pct_of_holding_sold=pct,
        holding_before=before,
        holding_after=Decimal(after) if after is not None else None,
    )
    common = {
        "event_ids": tuple(sorted(r["e"] for r in sales)),
        "filing_ids": tuple(sorted({r["f"] for r in sales})),
        "figures": figures,
        "plan_10b5_1": plan,
    }
    security = holding.split("|", 1)[0]
    if after is not None and Decimal(after) == 0 and before * avg_price >= settings.liquidation_min_usd:
        # A liquidation is also a 100% fraction sold: report the stronger rule only.
        return [
            Draft(
                alert_id=stable_id("liquidation", group, holding, _sig(sold, value)),
                rule="liquidation",
                severity=_severity("high", roles, plan, ex_sell),
                summary=f"{who} sold all {before:,f} shares of {security} ({_money(value)})",
                **common,
            )
        ]
    if pct >= settings.fraction_sold * 100 and value >= settings.fraction_sold_min_usd:
        return [
            Draft(
                alert_id=stable_id("large_fraction_sold", group, holding, _sig(sold, value)),
                rule="large_fraction_sold",
                severity=_severity("medium", roles, plan, ex_sell),
                summary=f"{who} sold {pct}% of their {security} ({sold:,f} shares, {_money(value)})",
                **common,
            )
        ]
    return []


def cluster_drafts(
    issuer: str, sales: list[dict[str, Any]], anchors: tuple[date, date], settings: Settings
) -> list[Draft]:
    """Cluster-selling windows anchored at sale dates within ``anchors`` (inclusive).

    ``sales`` are the issuer's open-market sales around the anchors: dicts with ``d`` (date), ``seller``,
    ``name``, ``role``, ``v`` (value), ``s`` (shares), ``e`` (event id), ``f`` (filing id), ``pl``.
    A window [d, d + window - 1] holds when enough distinct sellers each sold at least the minimum in
    it; a window whose sellers all belong to an earlier holding window within reach is not repeated.
    """
    span = timedelta(days=settings.cluster_window_days - 1)
    dates = sorted({date.fromisoformat(s["d"]) for s in sales})
    qualifying: dict[date, tuple[frozenset[str], list[dict[str, Any]]]] = {}
    for start in dates:
        inside = [s for s in sales if start <= date.fromisoformat(s["d"]) <= start + span]
        per_seller: dict[str, Decimal] = {}
        for s in inside:
            per_seller[s["seller"]] = per_seller.get(s["seller"], Decimal(0)) + Decimal(s["v"])
        members = frozenset(k for k, v in per_seller.items() if v >= settings.cluster_min_usd)
        if len(members) >= settings.cluster_min_insiders and any(
            date.fromisoformat(s["d"]) == start for s in inside if s["seller"] in members
        ):
            qualifying[start] = (members, [s for s in inside if s["seller"] in members])
    drafts = []
    for start, (members, rows) in sorted(qualifying.items()):
        if not anchors[0] <= start <= anchors[1]:
            continue
        if any(
            earlier < start and start - earlier <= span and members <= m
            for earlier, (m, _) in qualifying.items()
        ):
            continue
        value = sum((Decimal(r["v"]) for r in rows), Decimal(0))
        shares = sum((Decimal(r["s"]) for r in rows), Decimal(0))
        names = sorted({f"{r['name']} ({r['role']})" for r in rows})
        roles = [r["role"] for r in rows]
        plan = all(r["pl"] for r in rows)
        drafts.append(
            Draft(
                alert_id=stable_id("cluster_selling", issuer, start.isoformat()),
                rule="cluster_selling",
                severity=_severity("high", roles, plan, False),
                event_ids=tuple(sorted(r["e"] for r in rows)),
                filing_ids=tuple(sorted({r["f"] for r in rows})),
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
                summary=f"{len(members)} insiders sold {_money(value)} within {settings.cluster_window_days} days "
                f"from {start.isoformat()}: {', '.join(names)}",
                plan_10b5_1=plan,
                owner_keys=tuple(sorted(members)),
            )
        )
    return drafts
