"""The ledger: applies one parsed filing to the state and says which alerts to raise or retract.

Pure logic over mappings of typed records (:mod:`streams.domain.state`): the positions agent passes
its Faust tables, tests and the offline check (``form4 positions --offline``) pass dicts, and both get
the same answer.

Delivery is at-least-once, so every step is idempotent and the filing's "done" marker is written
last: a crash half-way leaves no marker, the filing is redelivered, and re-applying it changes
nothing that was already applied (rows are keyed by event id, alerts by a trigger id).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from streams.config.settings import Settings
from streams.domain.keys import group_key, issuer_key, seller_key
from streams.domain.positions import filing_row, row_value, sort_rows, summarize
from streams.domain.records import Alert, AlertOwner, ParsedFiling
from streams.domain.rules import Draft, cluster_drafts, group_drafts, role_of
from streams.domain.state import (
    AlertState,
    DaySales,
    FilingMeta,
    FilingRow,
    GroupMember,
    GroupState,
    IssuerAlerts,
    Owner,
    Position,
    Sale,
)


@dataclass
class Stores:
    """The six keyed stores of the ledger (Faust tables in the worker, dicts elsewhere)."""

    filings: MutableMapping[str, FilingMeta] = field(default_factory=dict)
    groups: MutableMapping[str, GroupState] = field(default_factory=dict)
    positions: MutableMapping[str, Position] = field(default_factory=dict)
    sales: MutableMapping[str, DaySales] = field(default_factory=dict)
    issuer_alerts: MutableMapping[str, IssuerAlerts] = field(default_factory=dict)
    alerts: MutableMapping[str, AlertState] = field(default_factory=dict)


@dataclass
class Outcome:
    duplicate: bool = False
    alerts: list[Alert] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    breaks: int = 0
    superseded: list[str] = field(default_factory=list)
    marker: tuple[str, FilingMeta] | None = None
    """The filing's "done" record; write it with :meth:`Ledger.mark_done` once the alerts are sent."""


def _matches(amendment: GroupMember, original: GroupMember) -> bool:
    # The 4/A names the date the original was filed; when either date is unknown, the group decides.
    return amendment.orig is None or original.filed is None or amendment.orig == original.filed


def active_members(members: Mapping[str, GroupMember]) -> set[str]:
    """Filings of a group that stand: originals not amended, and the latest amendment of each."""
    amendments = [m for m, meta in members.items() if meta.amendment]
    superseded = set()
    for fid, meta in members.items():
        for other in amendments:
            if other == fid:
                continue
            later = (members[other].order, other) > (meta.order, fid)
            if not meta.amendment and _matches(members[other], meta):
                superseded.add(fid)
            elif (
                meta.amendment
                and later
                and (meta.orig is None or members[other].orig is None or meta.orig == members[other].orig)
            ):
                superseded.add(fid)
    return set(members) - superseded


def _sales_key(issuer: str, day: date) -> str:
    return f"{issuer}|{day.isoformat()}"


class Ledger:
    """Applies parsed filings to :class:`Stores`. One instance per worker; no state of its own."""

    def __init__(self, stores: Stores, settings: Settings) -> None:
        self.s = stores
        self.settings = settings

    def apply(self, filing: ParsedFiling, now: datetime | None = None) -> Outcome:
        now = now or datetime.now(UTC)
        fid = filing.filing_id
        done = self.s.filings.get(fid)
        if done and done.done:
            return Outcome(duplicate=True)
        if not filing.events:
            return Outcome(marker=(fid, FilingMeta.empty(fid, filing.issuer_key)))
        meta = self._meta(filing)
        out = Outcome()
        group = meta.group
        gstate = self.s.groups.get(group) or GroupState()
        members = gstate.member_map()
        before = active_members({k: v for k, v in members.items() if k != fid})
        members[fid] = GroupMember(fid, meta.amendment, meta.filed, meta.orig, meta.order)
        after = active_members(members)
        dropped = sorted(before - after)
        out.superseded = dropped
        metas: dict[str, FilingMeta | None] = {
            m: (meta if m == fid else self.s.filings.get(m)) for m in members
        }
        for m in dropped:
            gone = metas[m]
            assert gone is not None, f"group {group} lists {m}, which was never applied"
            self._unapply(gone, out)
            self.s.filings[m] = replace(gone, status="superseded", superseded_by=fid)
        meta = replace(meta, status="active" if fid in after else "superseded")
        metas[fid] = meta
        if fid in after:
            self._apply_rows(meta, out)
        # Alerts of the amendment group, recomputed from the filings that now stand.
        active_rows = [r for m in sorted(after) if (fm := metas.get(m)) for r in fm.rows]
        drafts = group_drafts(group, active_rows, meta.owners, meta.who, self.settings)
        alerts = self._reconcile(drafts, list(gstate.alerts), meta, fid, now, out)
        self._clusters(meta, dropped, metas, fid, now, out)
        self.s.groups[group] = GroupState(tuple(members.values()), tuple(alerts))
        out.marker = (fid, replace(meta, done=True))
        return out

    def mark_done(self, outcome: Outcome) -> None:
        """Write the filing's marker: from now on a redelivery of it is a duplicate."""
        if outcome.marker is not None:
            fid, meta = outcome.marker
            self.s.filings[fid] = meta

    def apply_now(self, filing: ParsedFiling, now: datetime | None = None) -> Outcome:
        """Apply and mark done at once: for offline use, where nothing is sent."""
        outcome = self.apply(filing, now)
        self.mark_done(outcome)
        return outcome

    # --- building blocks -------------------------------------------------------------------
    def _meta(self, filing: ParsedFiling) -> FilingMeta:
        first = filing.events[0]
        owners = tuple(
            Owner(
                cik=o.cik,
                name=o.name,
                is_director=o.is_director,
                is_officer=o.is_officer,
                is_ten_percent_owner=o.is_ten_percent_owner,
                is_other=o.is_other,
                officer_title=o.officer_title,
            )
            for o in first.owners
        )
        names = " and ".join(o.name for o in owners)
        roles = ", ".join(sorted({role_of(o) for o in owners}))
        ticker = first.issuer.ticker or first.issuer.name or filing.issuer_key
        filed = filing.filing_date or (filing.filed_at.date() if filing.filed_at else None)
        order = filing.filed_at.isoformat() if filing.filed_at else None
        return FilingMeta(
            filing_id=filing.filing_id,
            issuer=filing.issuer_key,
            issuer_cik=first.issuer.cik,
            issuer_name=first.issuer.name,
            ticker=first.issuer.ticker,
            group=group_key(first),
            seller=seller_key(first),
            amendment=filing.form_type.endswith("/A"),
            filed=filed,
            orig=filing.date_of_original_submission,
            order=order or (filing.filing_date.isoformat() if filing.filing_date else ""),
            accession=first.accession_number,
            owners=owners,
            who=f"{names} ({roles}) of {ticker}",
            rows=tuple(filing_row(ev) for ev in filing.events),
            status="pending",
        )

    def _apply_rows(self, meta: FilingMeta, out: Outcome) -> None:
        by_position: dict[str, list[FilingRow]] = {}
        for row in meta.rows:
            for pk in row.positions:
                by_position.setdefault(pk, []).append(row)
        for pk, rows in by_position.items():
            pos = self.s.positions.get(pk) or self._new_position(pk, meta)
            known = {r.event_id: r for r in pos.rows}
            for row in rows:
                known[row.event_id] = row.state_row()
            ordered = tuple(sort_rows(known.values()))
            pos = replace(pos, rows=ordered, summary=summarize(ordered))
            ids = {r.event_id for r in rows}
            out.breaks += sum(1 for b in pos.summary.breaks if b.event_id in ids)
            self.s.positions[pk] = pos
            out.positions.append(pk)
        for row in meta.rows:
            sale = self._sale(row, meta)
            if sale is not None:
                key = _sales_key(meta.issuer, sale.day)
                self.s.sales[key] = (self.s.sales.get(key) or DaySales()).with_sale(sale)

    def _unapply(self, meta: FilingMeta, out: Outcome) -> None:
        for row in meta.rows:
            for pk in row.positions:
                pos = self.s.positions.get(pk)
                if pos and any(r.event_id == row.event_id for r in pos.rows):
                    kept = tuple(r for r in pos.rows if r.event_id != row.event_id)
                    if kept:
                        self.s.positions[pk] = replace(pos, rows=kept, summary=summarize(kept))
                    else:
                        # No rows, no position: as if the superseded filing had never been applied,
                        # which is what an amendment arriving before its original leaves.
                        del self.s.positions[pk]
                    out.positions.append(pk)
            if row.day is None:
                continue
            key = _sales_key(meta.issuer, row.day)
            day = self.s.sales.get(key)
            if day and day.has(row.event_id):
                self.s.sales[key] = day.without(row.event_id)

    def _new_position(self, pk: str, meta: FilingMeta) -> Position:
        issuer, owner, security, ownership = pk.split("|", 3)
        name = next((o.name for o in meta.owners if o.key == owner), owner)
        return Position(
            key=pk,
            issuer=issuer,
            issuer_cik=meta.issuer_cik,
            issuer_name=meta.issuer_name,
            ticker=meta.ticker,
            owner=owner,
            owner_name=name,
            security=security,
            ownership=ownership,
            rows=(),
            summary=summarize(()),
        )

    def _sale(self, row: FilingRow, meta: FilingMeta) -> Sale | None:
        if row.is_holding or row.code != "S" or row.acquired_disposed != "D" or row.day is None:
            return None
        value = row_value(row)
        if value is None or row.shares is None:
            return None
        return Sale(
            day=row.day,
            seller=meta.seller,
            name=" and ".join(o.name for o in meta.owners),
            roles=tuple(sorted({role_of(o) for o in meta.owners})),
            value=value,
            shares=row.shares,
            event_id=row.event_id,
            filing_id=row.filing_id,
            plan=row.plan,
        )

    def _clusters(
        self,
        meta: FilingMeta,
        dropped: list[str],
        metas: Mapping[str, FilingMeta | None],
        fid: str,
        now: datetime,
        out: Outcome,
    ) -> None:
        changed = [
            sale.day
            for m in [fid, *dropped]
            if (fm := metas.get(m))
            for r in fm.rows
            if (sale := self._sale(r, fm)) is not None
        ]
        if not changed:
            return
        issuer = meta.issuer
        window = timedelta(days=self.settings.cluster_window_days - 1)
        lo, hi = min(changed) - window, max(changed) + window
        sales: list[Sale] = []
        day = lo - window
        while day <= hi + window:
            sales.extend((self.s.sales.get(_sales_key(issuer, day)) or DaySales()).sales)
            day += timedelta(days=1)
        drafts = cluster_drafts(issuer, sales, (lo, hi), self.settings)
        existing = dict((self.s.issuer_alerts.get(issuer) or IssuerAlerts()).windows)
        in_range = [aid for anchor, aid in existing.items() if lo <= anchor <= hi]
        kept = self._reconcile(drafts, in_range, meta, fid, now, out)
        existing = {a: i for a, i in existing.items() if i not in in_range}
        for d in drafts:
            if d.alert_id in kept and d.figures.window_start:
                existing[d.figures.window_start] = d.alert_id
        self.s.issuer_alerts[issuer] = IssuerAlerts.of(existing.items())

    def _reconcile(
        self,
        drafts: list[Draft],
        existing: list[str],
        meta: FilingMeta,
        fid: str,
        now: datetime,
        out: Outcome,
    ) -> list[str]:
        """Raise drafts not yet raised, retract existing alerts that no longer hold."""
        wanted = {d.alert_id: d for d in drafts}
        retracted: set[str] = set()
        # Retractions first: a consumer sees the old alert withdrawn before its restatement.
        for aid in existing:
            if aid in wanted:
                continue
            stored = self.s.alerts.get(aid)
            if stored and (stored.active or stored.retracted_by == fid):
                original = stored.record
                out.alerts.append(
                    original.model_copy(
                        update={
                            "kind": "alert_retracted",
                            "alert_id": f"{aid}-retracted",
                            "retracts": aid,
                            "summary": f"RETRACTED: {original.summary}",
                            "created_at": now,
                        }
                    )
                )
                self.s.alerts[aid] = replace(stored, active=False, retracted_by=fid)
                retracted.add(aid)
        for aid, draft in wanted.items():
            stored = self.s.alerts.get(aid)
            # Re-send when this same filing raised it before a crash: at-least-once, never lost.
            if not stored or not stored.active or stored.raised_by == fid:
                alert = self._alert(draft, meta, now)
                out.alerts.append(alert)
                self.s.alerts[aid] = AlertState(active=True, raised_by=fid, retracted_by=None, record=alert)
        # Ids retracted now stay listed, so a redelivery after a crash re-sends the retraction.
        return sorted(set(wanted) | retracted)

    def _alert(self, draft: Draft, meta: FilingMeta, now: datetime) -> Alert:
        if draft.rule == "cluster_selling":
            members: dict[str, AlertOwner] = {}
            for fid in draft.filing_ids:
                fm = self.s.filings.get(fid) or (meta if fid == meta.rows[0].filing_id else None)
                for o in fm.owners if fm else ():
                    members[o.key] = AlertOwner(cik=o.cik, name=o.name, role=role_of(o))
            owners = tuple(members[k] for k in sorted(members))
        else:
            owners = tuple(AlertOwner(cik=o.cik, name=o.name, role=role_of(o)) for o in meta.owners)
        return Alert(
            alert_id=draft.alert_id,
            rule=draft.rule,
            severity=draft.severity,
            issuer_cik=meta.issuer_cik,
            issuer_name=meta.issuer_name,
            ticker=meta.ticker,
            owners=owners,
            accession_numbers=tuple(f for f in draft.filing_ids if not f.startswith("sha256-")),
            event_ids=draft.event_ids,
            plan_10b5_1=draft.plan_10b5_1,
            figures=draft.figures,
            summary=draft.summary,
            created_at=now,
        )


__all__ = ["Ledger", "Outcome", "Stores", "active_members", "issuer_key"]
