"""The ledger: applies one parsed filing to the state and says which alerts to raise or retract.

Pure logic over plain mappings: the positions agent passes its Faust tables, tests and the offline
check (``form4 positions --offline``) pass dicts, and both get the same answer.

Delivery is at-least-once, so every step is idempotent and the filing's "done" marker is written
last: a crash half-way leaves no marker, the filing is redelivered, and re-applying it changes
nothing that was already applied (rows are keyed by event id, alerts by a trigger id).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.config.settings import Settings
from streams.domain.keys import (
    group_key,
    issuer_key,
    normalise,
    ownership_key,
    position_keys,
    security_key,
    seller_key,
)
from streams.domain.positions import compact_row, row_value, summarize
from streams.domain.records import Alert, AlertOwner, ParsedFiling
from streams.domain.rules import Draft, cluster_drafts, group_drafts, role_of

Store = MutableMapping[str, Any]


@dataclass
class Stores:
    """The six keyed stores of the ledger (Faust tables in the worker, dicts elsewhere)."""

    filings: Store = field(default_factory=dict)
    groups: Store = field(default_factory=dict)
    positions: Store = field(default_factory=dict)
    sales: Store = field(default_factory=dict)
    issuer_alerts: Store = field(default_factory=dict)
    alerts: Store = field(default_factory=dict)


@dataclass
class Outcome:
    duplicate: bool = False
    alerts: list[Alert] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    breaks: int = 0
    superseded: list[str] = field(default_factory=list)
    marker: tuple[str, dict[str, Any]] | None = None
    """The filing's "done" record; write it with :meth:`Ledger.mark_done` once the alerts are sent."""


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _matches(amendment: dict[str, Any], original: dict[str, Any]) -> bool:
    # The 4/A names the date the original was filed; when either date is unknown, the group decides.
    return amendment["orig"] is None or original["filed"] is None or amendment["orig"] == original["filed"]


def active_members(members: dict[str, dict[str, Any]]) -> set[str]:
    """Filings of a group that stand: originals not amended, and the latest amendment of each."""
    amendments = [m for m, meta in members.items() if meta["amendment"]]
    superseded = set()
    for fid, meta in members.items():
        for other in amendments:
            if other == fid:
                continue
            later = (members[other]["order"], other) > (meta["order"], fid)
            if not meta["amendment"] and _matches(members[other], meta):
                superseded.add(fid)
            elif (
                meta["amendment"]
                and later
                and (
                    meta["orig"] is None
                    or members[other]["orig"] is None
                    or meta["orig"] == members[other]["orig"]
                )
            ):
                superseded.add(fid)
    return set(members) - superseded


class Ledger:
    """Applies parsed filings to :class:`Stores`. One instance per worker; no state of its own."""

    def __init__(self, stores: Stores, settings: Settings) -> None:
        self.s = stores
        self.settings = settings

    def apply(self, filing: ParsedFiling, now: datetime | None = None) -> Outcome:
        now = now or datetime.now(UTC)
        fid = filing.filing_id
        done = self.s.filings.get(fid)
        if done and done.get("done"):
            return Outcome(duplicate=True)
        if not filing.events:
            return Outcome(marker=(fid, {"done": True, "rows": [], "issuer": filing.issuer_key}))
        meta = self._meta(filing)
        out = Outcome()
        group = meta["group"]
        gstate = dict(self.s.groups.get(group) or {"members": {}, "alerts": []})
        members = dict(gstate["members"])
        before = active_members({k: v for k, v in members.items() if k != fid})
        members[fid] = {k: meta[k] for k in ("amendment", "filed", "orig", "order")}
        after = active_members(members)
        dropped = sorted(before - after)
        out.superseded = dropped
        metas = {m: (meta if m == fid else self.s.filings.get(m)) for m in members}
        for m in dropped:
            self._unapply(metas[m], out)
            self.s.filings[m] = {**metas[m], "status": "superseded", "superseded_by": fid}
        meta["status"] = "active" if fid in after else "superseded"
        if fid in after:
            self._apply_rows(meta, out)
        # Alerts of the amendment group, recomputed from the filings that now stand.
        active_rows = [r for m in sorted(after) if metas.get(m) for r in metas[m]["rows"]]
        drafts = group_drafts(group, active_rows, meta["owners"], meta["who"], self.settings)
        gstate["alerts"] = self._reconcile(drafts, list(gstate.get("alerts", [])), meta, fid, now, out)
        self._clusters(meta, dropped, metas, fid, now, out)
        gstate["members"] = members
        self.s.groups[group] = gstate
        meta["done"] = True
        out.marker = (fid, meta)
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
    def _meta(self, filing: ParsedFiling) -> dict[str, Any]:
        first = filing.events[0]
        owners = [o.model_dump() for o in first.owners]
        rows = []
        for ev in filing.events:
            row = compact_row(ev)
            row["k"] = f"{security_key(ev)}|{ownership_key(ev)}"
            row["pk"] = position_keys(ev)
            rows.append(row)
        names = " and ".join(o["name"] for o in owners)
        roles = ", ".join(sorted({role_of(o) for o in owners}))
        ticker = first.issuer.ticker or first.issuer.name or filing.issuer_key
        return {
            "issuer": filing.issuer_key,
            "issuer_cik": first.issuer.cik,
            "issuer_name": first.issuer.name,
            "ticker": first.issuer.ticker,
            "group": group_key(first),
            "seller": seller_key(first),
            "amendment": filing.form_type.endswith("/A"),
            "filed": _iso(filing.filing_date or (filing.filed_at.date() if filing.filed_at else None)),
            "orig": _iso(filing.date_of_original_submission),
            "order": _iso(filing.filed_at) or _iso(filing.filing_date) or "",
            "accession": first.accession_number,
            "owners": owners,
            "who": f"{names} ({roles}) of {ticker}",
            "rows": rows,
            "status": "pending",
        }

    def _apply_rows(self, meta: dict[str, Any], out: Outcome) -> None:
        by_position: dict[str, list[dict[str, Any]]] = {}
        for row in meta["rows"]:
            for pk in row["pk"]:
                by_position.setdefault(pk, []).append(row)
        for pk, rows in by_position.items():
            pos = dict(self.s.positions.get(pk) or self._new_position(pk, meta))
            known = dict(pos["rows"])
            for row in rows:
                known[row["e"]] = {k: v for k, v in row.items() if k not in ("pk", "k")}
            pos["rows"] = known
            pos.update(summarize(list(known.values())))
            ids = {r["e"] for r in rows}
            out.breaks += sum(1 for b in pos["breaks"] if b["event_id"] in ids)
            self.s.positions[pk] = pos
            out.positions.append(pk)
        for row in meta["rows"]:
            sale = self._sale(row, meta)
            if sale is not None:
                key = f"{meta['issuer']}|{row['d']}"
                self.s.sales[key] = {**(self.s.sales.get(key) or {}), row["e"]: sale}

    def _unapply(self, meta: dict[str, Any], out: Outcome) -> None:
        for row in meta["rows"]:
            for pk in row["pk"]:
                pos = self.s.positions.get(pk)
                if pos and row["e"] in pos["rows"]:
                    known = {k: v for k, v in pos["rows"].items() if k != row["e"]}
                    self.s.positions[pk] = {**pos, "rows": known, **summarize(list(known.values()))}
                    out.positions.append(pk)
            key = f"{meta['issuer']}|{row['d']}"
            day = self.s.sales.get(key)
            if day and row["e"] in day:
                self.s.sales[key] = {k: v for k, v in day.items() if k != row["e"]}

    def _new_position(self, pk: str, meta: dict[str, Any]) -> dict[str, Any]:
        issuer, owner, security, ownership = pk.split("|", 3)
        name = next((o["name"] for o in meta["owners"] if owner_key_of(o) == owner), owner)
        return {
            "key": pk,
            "issuer": issuer,
            "issuer_cik": meta["issuer_cik"],
            "issuer_name": meta["issuer_name"],
            "ticker": meta["ticker"],
            "owner": owner,
            "owner_name": name,
            "security": security,
            "ownership": ownership,
            "rows": {},
        }

    def _sale(self, row: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any] | None:
        if row["h"] or row["c"] != "S" or row["ad"] != "D" or row["d"] is None:
            return None
        value = row_value(row)
        if value is None:
            return None
        roles = sorted({role_of(o) for o in meta["owners"]})
        return {
            "d": row["d"],
            "seller": meta["seller"],
            "name": " and ".join(o["name"] for o in meta["owners"]),
            "role": "/".join(roles),
            "v": format(value, "f"),
            "s": row["s"],
            "e": row["e"],
            "f": row["f"],
            "pl": row["pl"],
            "owners": meta["owners"],
        }

    def _clusters(
        self,
        meta: dict[str, Any],
        dropped: list[str],
        metas: dict[str, Any],
        fid: str,
        now: datetime,
        out: Outcome,
    ) -> None:
        changed = [
            r["d"]
            for m in [fid, *dropped]
            if metas.get(m)
            for r in metas[m]["rows"]
            if self._sale(r, metas[m]) is not None
        ]
        if not changed:
            return
        issuer = meta["issuer"]
        window = timedelta(days=self.settings.cluster_window_days - 1)
        lo, hi = (
            min(map(date.fromisoformat, changed)) - window,
            max(map(date.fromisoformat, changed)) + window,
        )
        sales: list[dict[str, Any]] = []
        day = lo - window
        while day <= hi + window:
            sales.extend((self.s.sales.get(f"{issuer}|{day.isoformat()}") or {}).values())
            day += timedelta(days=1)
        drafts = cluster_drafts(issuer, sales, (lo, hi), self.settings)
        existing = dict(self.s.issuer_alerts.get(issuer) or {})
        in_range = [aid for anchor, aid in existing.items() if lo <= date.fromisoformat(anchor) <= hi]
        kept = self._reconcile(drafts, in_range, meta, fid, now, out)
        existing = {a: i for a, i in existing.items() if i not in in_range}
        for d in drafts:
            if d.alert_id in kept and d.figures.window_start:
                existing[d.figures.window_start.isoformat()] = d.alert_id
        self.s.issuer_alerts[issuer] = existing

    def _reconcile(
        self,
        drafts: list[Draft],
        existing: list[str],
        meta: dict[str, Any],
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
            if stored and (stored.get("active") or stored.get("retracted_by") == fid):
                original = Alert.model_validate(stored["record"])
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
                self.s.alerts[aid] = {**stored, "active": False, "retracted_by": fid}
                retracted.add(aid)
        for aid, draft in wanted.items():
            stored = self.s.alerts.get(aid)
            # Re-send when this same filing raised it before a crash: at-least-once, never lost.
            if not stored or not stored.get("active") or stored.get("by") == fid:
                alert = self._alert(draft, meta, now)
                out.alerts.append(alert)
                self.s.alerts[aid] = {
                    "active": True,
                    "by": fid,
                    "record": alert.model_dump(mode="json", by_alias=True),
                }
        # Ids retracted now stay listed, so a redelivery after a crash re-sends the retraction.
        return sorted(set(wanted) | retracted)

    def _alert(self, draft: Draft, meta: dict[str, Any], now: datetime) -> Alert:
        if draft.rule == "cluster_selling":
            members: dict[str, AlertOwner] = {}
            for fid in draft.filing_ids:
                fm = self.s.filings.get(fid) or (meta if fid == meta["rows"][0]["f"] else None)
                for o in (fm or {}).get("owners", []):
                    members[owner_key_of(o)] = AlertOwner(cik=o.get("cik"), name=o["name"], role=role_of(o))
            owners = tuple(members[k] for k in sorted(members))
        else:
            owners = tuple(
                AlertOwner(cik=o.get("cik"), name=o["name"], role=role_of(o)) for o in meta["owners"]
            )
        return Alert(
            alert_id=draft.alert_id,
            rule=draft.rule,
            severity=draft.severity,
            issuer_cik=meta["issuer_cik"],
            issuer_name=meta["issuer_name"],
            ticker=meta["ticker"],
            owners=owners,
            accession_numbers=tuple(f for f in draft.filing_ids if not f.startswith("sha256-")),
            event_ids=draft.event_ids,
            plan_10b5_1=draft.plan_10b5_1,
            figures=draft.figures,
            summary=draft.summary,
            created_at=now,
        )


def owner_key_of(owner: dict[str, Any]) -> str:
    """:func:`streams.domain.keys.owner_key` of an owner kept in state as a dict."""
    return str(owner.get("cik") or f"name:{normalise(owner['name'])}")


__all__ = ["Ledger", "Outcome", "Stores", "active_members", "issuer_key"]
