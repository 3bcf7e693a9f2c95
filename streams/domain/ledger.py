"""The ledger: applies one parsed filing to the state and says which alerts to raise or retract.

Pure logic over mappings of typed records (:mod:`streams.domain.state`): the positions agent passes
its Faust tables, tests and the offline check (``form4 positions --offline``) pass dicts, and both get
the same answer.

Delivery is at-least-once, so every step is idempotent and the filing's "done" marker is written
last: a crash half-way leaves no marker, the filing is redelivered, and re-applying it changes
nothing that was already applied (rows are keyed by event id, alerts by a trigger id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from parsers.identity import copy_rank
from streams.config.settings import Settings
from streams.config.vocabulary import SEVERITIES, Severity
from streams.domain.amendments import (
    NEAR_DAYS,
    best_original,
    chain_rows,
    filing_order,
    named_accessions,
    part_of,
    restates,
    says_complete,
    says_deleted,
)
from streams.domain.journal import Journal
from streams.domain.keys import group_key, issuer_key, seller_key, stable_id
from streams.domain.positions import filing_row, row_value, sort_rows, summarize
from streams.domain.records import Alert, AlertEvidence, AlertOwner, ParsedFiling, Rule
from streams.domain.rules import (
    Draft,
    GroupContext,
    cluster_drafts,
    group_drafts,
    is_purchase,
    is_sale,
    role_of,
)
from streams.domain.signals import classify, context_of, insider_drafts, insider_key, signals_of, trades_of
from streams.domain.state import (
    AlertState,
    DaySales,
    FilingMeta,
    FilingRow,
    GroupMember,
    GroupState,
    InsiderHistory,
    IssuerAlerts,
    Owner,
    Position,
    PositionOwner,
    RowSignal,
    Sale,
    StateRow,
    Summary,
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
    # Issue 9: content fingerprint -> id of the copy applied, so one filing in two formats (XML without
    # an accession number, then its complete submission) is applied once.
    aliases: MutableMapping[str, str] = field(default_factory=dict)
    # Issue 11: issuer|insider -> the insider's rows (first purchases, repeat sellers, routine traders).
    insiders: MutableMapping[str, InsiderHistory] = field(default_factory=dict)


Verdict = Literal["new", "copy", "better", "distinct"]


@dataclass
class Outcome:
    duplicate: bool = False
    alerts: list[Alert] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    breaks: int = 0
    superseded: list[str] = field(default_factory=list)
    marker: tuple[str, FilingMeta] | None = None
    """The filing's "done" record; write it with :meth:`Ledger.mark_done` once the alerts are sent."""
    alias: tuple[str, str] | None = None
    """``(fingerprint, filing id)``: this copy now stands for its filing; written with the marker."""

    def last_kind(self, alert_id: str) -> str | None:
        """The kind of the last record this outcome holds for ``alert_id``, if any: one apply may
        reconcile an alert more than once (its group, then its insider), and says each change once."""
        for alert in reversed(self.alerts):
            if alert.subject == alert_id:
                return alert.kind
        return None


# Issue 10: the amendment index lives in the groups store under this prefix (no issuer key starts
# with it): ``amend:<issuer>|<day>`` lists the filings dated that day (originals by filing date and
# period, amendments by the original date they name and period), ``amend:<issuer>|ref:<accession>``
# the amendments naming that accession. An amendment and its original meet through it whatever
# arrives first.
_INDEX = "amend:"


def _index_days(meta: FilingMeta) -> set[date]:
    first = meta.orig if meta.amendment else meta.filed
    return {d for d in (first, meta.period) if d is not None}


def _day_bucket(issuer: str, day: date) -> str:
    return f"{_INDEX}{issuer}|{day.isoformat()}"


def _ref_bucket(issuer: str, accession: str) -> str:
    return f"{_INDEX}{issuer}|ref:{accession}"


def _lower(severity: Severity) -> Severity:
    return SEVERITIES[max(SEVERITIES.index(severity) - 1, 0)]


def _sales_key(issuer: str, day: date, purchase: bool = False) -> str:
    # Open-market purchases share the store under their own keys (issue 11: cluster_buying).
    return f"{issuer}|P|{day.isoformat()}" if purchase else f"{issuer}|{day.isoformat()}"


class Ledger:
    """Applies parsed filings to :class:`Stores`. One instance per worker; no state of its own."""

    def __init__(self, stores: Stores, settings: Settings) -> None:
        self.s = stores
        self.settings = settings
        self._applying: FilingMeta | None = None
        """The filing being applied: its meta is stored only once it is done, but its names are needed."""
        self._raiser = ""
        """Who raises and retracts in this apply, as alert states record it: the filing id, or for a better
        copy of a filing under the same id (its complete submission after its bare XML) the id and the
        copy's rank, so the worse copy's alerts are not taken for this apply's own, re-sent after a crash."""

    def apply(self, filing: ParsedFiling, now: datetime | None = None) -> Outcome:
        """Apply one filing, all or nothing: a failure part-way undoes every store write it made.

        Issue 13: a filing that makes the apply raise (a bug, an overflowing value) is retried and then
        dead-lettered by the worker; without the rollback it would leave half its writes behind.
        """
        journal = Journal(self.s)
        stores, self.s = self.s, journal.stores
        try:
            return self._apply(filing, now)
        except BaseException:
            journal.rollback()
            raise
        finally:
            self.s = stores
            self._applying = None
            self._raiser = ""

    def _apply(self, filing: ParsedFiling, now: datetime | None) -> Outcome:
        now = now or datetime.now(UTC)
        fid = filing.filing_id
        verdict, worse = self._identify(filing)
        if verdict == "copy":
            return Outcome(duplicate=True)
        self._raiser = fid
        if worse is not None and worse.filing_id == fid:
            first = filing.events[0]
            self._raiser = f"{fid}#{copy_rank(first.accession_number, first.issuer.cik, first.filing_date)}"
        done = self.s.filings.get(fid)
        if done and done.done and worse is None:
            return Outcome(duplicate=True)
        if not filing.events:
            return Outcome(marker=(fid, FilingMeta.empty(fid, filing.issuer_key)))
        meta = self._meta(filing)
        self._applying = meta
        alias = (filing.fingerprint, fid) if filing.fingerprint and verdict != "distinct" else None
        out = Outcome(alias=alias)
        meta = self._amendment_fields(filing, meta)
        if worse is not None:
            self._retire(worse, meta, now, out)
        meta = self._amend(meta, now, out)
        out.marker = (fid, replace(meta, done=True))
        return out

    def mark_done(self, outcome: Outcome) -> None:
        """Write the filing's marker: from now on a redelivery of it is a duplicate."""
        if outcome.marker is not None:
            fid, meta = outcome.marker
            self.s.filings[fid] = meta
        if outcome.alias is not None:
            fingerprint, fid = outcome.alias
            self.s.aliases[fingerprint] = fid

    def apply_now(self, filing: ParsedFiling, now: datetime | None = None) -> Outcome:
        """Apply and mark done at once: for offline use, where nothing is sent."""
        outcome = self.apply(filing, now)
        self.mark_done(outcome)
        return outcome

    # --- one filing, whatever its format (issue 9) -------------------------------------------
    def _identify(self, filing: ParsedFiling) -> tuple[Verdict, FilingMeta | None]:
        """Whether ``filing`` is another copy of a filing applied before, by content fingerprint.

        ``copy``: a copy at least as good stands, nothing to do. ``better``: this copy outranks the one
        applied (it has the accession number, or the CIKs a text rendering lacks), which is returned to
        be retired, so the state ends the same whatever the arrival order. ``distinct``: two EDGAR
        accession numbers with one content are two filings. ``new``: no other copy seen.
        """
        prior_id = self.s.aliases.get(filing.fingerprint) if filing.fingerprint and filing.events else None
        prior = self.s.filings.get(prior_id) if prior_id else None
        if prior is None or not prior.done:
            return "new", None
        if prior.status == "superseded" and prior.superseded_by == filing.filing_id:
            return "better", prior  # this copy retired it already, then crashed before its own marker
        first = filing.events[0]
        if prior_id != filing.filing_id and prior.accession and first.accession_number:
            return "distinct", None
        if copy_rank(first.accession_number, first.issuer.cik, first.filing_date) <= copy_rank(
            prior.accession, prior.issuer_cik, prior.filed
        ):
            return "copy", None
        return "better", prior

    def _retire(self, old: FilingMeta, meta: FilingMeta, now: datetime, out: Outcome) -> None:
        """Take back ``old``, a worse copy of the filing ``meta`` is about to apply."""
        fid = meta.filing_id
        if old.status == "superseded" and old.superseded_by == fid:
            # Retired by this very copy before a crash (its marker unwritten): the stores say so already.
            # Only the group it left is reconciled again, so the retractions sent then are sent again.
            retired, old = old, replace(old, group=old.home)
        else:
            self._unapply(replace(old, rows=self._live_rows(old)), out)
            self._index(old, add=False)
            # Out of every group and of the amendment index: amendments of it now amend the better copy.
            # ``home`` keeps the group it left, for a crash before the better copy's marker.
            retired = replace(old, status="superseded", superseded_by=fid, live=(), group="", home=old.group)
            self.s.filings[old.filing_id] = retired
            gstate = self.s.groups.get(old.group) or GroupState()
            members = gstate.member_map()
            members.pop(old.filing_id, None)
            self.s.groups[old.group] = GroupState(tuple(members.values()), gstate.alerts)
        if old.group == meta.group:
            # The better copy joins this group next with the same rows, so the same alert ids: they
            # stand as raised (retracting them would make an id come back; raising them again, repeat
            # one), their records naming the copy that raised them.
            return
        # Another group (a text rendering keyed by ticker and names): it loses the copy's rows, what
        # the copy had amended stands again, and its alerts are recomputed.
        metas = {old.filing_id: retired}
        changed = self._regroup(old.group, metas, fid, now, out)
        self._clusters(old, [old.filing_id, *changed], {**metas, old.filing_id: old}, fid, now, out)
        self._insider_signals(old, [old], fid, now, out)

    # --- amendments as they are really filed (issue 10) ----------------------------------------
    def _amendment_fields(self, filing: ParsedFiling, meta: FilingMeta) -> FilingMeta:
        """What the amendment logic reads of a filing: its dates, the accessions and the continuation
        part its remarks and footnotes name, and which of an amendment's rows delete their line."""
        notes = {t for ev in filing.events for texts in ev.footnotes.values() for t in texts}
        text = "\n".join([filing.remarks or "", *sorted(notes)])
        amendment = meta.amendment
        deletions: list[str] = []
        if amendment:
            remarks_delete = says_deleted(filing.remarks or "")
            for ev in filing.events:
                row_notes = " ".join(t for texts in ev.footnotes.values() for t in texts)
                zero = not ev.is_holding and ev.shares is not None and ev.shares == 0
                if not ev.is_holding and (zero or remarks_delete or says_deleted(row_notes)):
                    deletions.append(ev.event_id)
        return replace(
            meta,
            form_type=meta.form_type or filing.form_type,
            home=meta.group,
            period=filing.period_of_report,
            refs=named_accessions(text, meta.accession) if amendment else (),
            part=part_of(filing.remarks or ""),
            complete=amendment and says_complete(text),
            deletions=tuple(deletions),
        )

    def _index(self, meta: FilingMeta, *, add: bool) -> None:
        keys = [_day_bucket(meta.issuer, d) for d in sorted(_index_days(meta))]
        if meta.amendment:
            keys += [_ref_bucket(meta.issuer, a) for a in meta.refs]
        entry = GroupMember(meta.filing_id, meta.amendment, meta.filed, meta.orig, meta.order)
        for key in keys:
            members = (self.s.groups.get(key) or GroupState()).member_map()
            if add and members.get(meta.filing_id) != entry:
                members[meta.filing_id] = entry
            elif not add and meta.filing_id in members:
                del members[meta.filing_id]
            else:
                continue
            if members:
                self.s.groups[key] = GroupState(tuple(members[m] for m in sorted(members)))
            elif key in self.s.groups:
                del self.s.groups[key]

    def _near(self, meta: FilingMeta) -> dict[str, GroupMember]:
        """The indexed filings dated within ``NEAR_DAYS`` of ``meta``'s dates, and those naming it or
        named by it: every filing it may amend or be amended by."""
        keys = [
            _day_bucket(meta.issuer, d + timedelta(days=i))
            for d in sorted(_index_days(meta))
            for i in range(-NEAR_DAYS, NEAR_DAYS + 1)
        ]
        if not meta.amendment and meta.accession:
            keys.append(_ref_bucket(meta.issuer, meta.accession))
        found: dict[str, GroupMember] = {}
        for key in dict.fromkeys(keys):
            bucket = self.s.groups.get(key)
            for m in bucket.members if bucket else ():
                found[m.filing_id] = m
        for acc in meta.refs:
            named = self.s.filings.get(acc)
            if named is None or named.amendment or named.issuer != meta.issuer:
                continue
            for d in _index_days(named):
                bucket = self.s.groups.get(_day_bucket(named.issuer, d))
                entry = bucket.member_map().get(acc) if bucket else None
                if entry is not None:
                    found[acc] = entry
        found.pop(meta.filing_id, None)
        return found

    def _amend(self, meta: FilingMeta, now: datetime, out: Outcome) -> FilingMeta:
        """Apply ``meta``: match it (an amendment) to the original it amends, or match the amendments
        waiting for it (an original), then restate the groups concerned. The result depends on the
        set of filings seen, not on their order: each amendment is matched against every original
        near it, and each group's rows are recomputed from its members."""
        fid = meta.filing_id
        self._index(meta, add=True)
        metas: dict[str, FilingMeta] = {fid: meta}

        def get(m: str) -> FilingMeta | None:
            if m not in metas:
                fm = self.s.filings.get(m)
                if fm is None:
                    return None
                metas[m] = fm
            return metas[m]

        near = self._near(meta)
        if meta.amendment:
            todo = [fid]
        else:
            todo = sorted(m for m, e in near.items() if e.amendment)
        groups = {meta.group}
        rebased: list[str] = []
        for a in todo:
            am = get(a)
            if am is None:
                continue
            around = near if a == fid else self._near(am)
            candidates = [fm for m, e in around.items() if not e.amendment and (fm := get(m))]
            base = best_original(am, candidates)
            based = get(base) if base else None
            group = based.group if based else am.home
            if a == fid or base != am.base or group != am.group:
                groups |= {am.group, group}
                metas[a] = replace(am, base=base, group=group)
                rebased.append(a)
        changed = set(rebased)
        for g in sorted(groups):
            changed |= set(self._regroup(g, metas, fid, now, out))
        for a in rebased:
            if a != fid:
                self.s.filings[a] = metas[a]
        meta = metas[fid]
        dropped = sorted(changed - {fid})
        self._clusters(meta, dropped, metas, fid, now, out)
        self._insider_signals(meta, [metas.get(m) for m in [fid, *dropped]], fid, now, out)
        return meta

    def _live_rows(self, meta: FilingMeta) -> tuple[FilingRow, ...]:
        live = set(meta.live)
        return tuple(r for r in meta.rows if r.event_id in live)

    def _regroup(
        self, group: str, metas: dict[str, FilingMeta], fid: str, now: datetime, out: Outcome
    ) -> list[str]:
        """Recompute an amendment group: which rows of its filings stand, the positions and sales
        they feed, its alerts. Returns the filings whose standing rows or orphan state changed."""
        gstate = self.s.groups.get(group) or GroupState()
        ids = {m.filing_id for m in gstate.members} | {m for m, fm in metas.items() if fm.group == group}
        members: dict[str, FilingMeta] = {}
        for m in sorted(ids):
            fm = metas.get(m) or self.s.filings.get(m)
            if fm is not None and fm.group == group:
                metas.setdefault(m, fm)
                members[m] = fm
        ordered = sorted(members.values(), key=filing_order)
        chains: dict[str, list[FilingMeta]] = {fm.filing_id: [] for fm in ordered if not fm.amendment}
        roots: dict[str, list[FilingMeta]] = {}
        for fm in ordered:
            if not fm.amendment:
                continue
            if fm.base in chains:
                chains[fm.base].append(fm)
                continue
            # An orphan: it restates an earlier orphan of the same unseen original, or starts a chain.
            root = next((r for r, chain in roots.items() if any(restates(fm, x) for x in chain)), None)
            if root is None:
                roots[fm.filing_id] = [fm]
            else:
                roots[root].append(fm)
        orphans = {fm.filing_id for chain in roots.values() for fm in chain}
        standing: list[FilingRow] = []
        for original, amendments in chains.items():
            standing += chain_rows(members[original].rows, amendments)
        for chain in roots.values():
            first, *rest = chain
            kept = [r for r in first.rows if r.event_id not in set(first.deletions)]
            standing += chain_rows(kept, rest)
        live: dict[str, set[str]] = {m: set() for m in members}
        for row in standing:
            live[row.filing_id].add(row.event_id)
        # The latest filing of each chain: what supersedes a filing none of whose rows stand.
        last: dict[str, str] = {}
        for chain in [*([members[o], *a] for o, a in chains.items()), *roots.values()]:
            last |= dict.fromkeys((c.filing_id for c in chain), chain[-1].filing_id)
        changed: list[str] = []
        for m, fm in members.items():
            old, new = set(fm.live), live[m]
            if fm.filing_id == fid:
                old = set()  # a redelivery re-applies its rows (by event id: no double count)
            if old - new:
                self._unapply(replace(fm, rows=tuple(r for r in fm.rows if r.event_id in old - new)), out)
            if new - old:
                self._apply_rows(replace(fm, rows=tuple(r for r in fm.rows if r.event_id in new - old)), out)
            gone = bool(fm.rows) and not new and last[m] != m
            updated = replace(
                fm,
                live=tuple(r.event_id for r in fm.rows if r.event_id in new),
                status="superseded" if gone else "active",
                superseded_by=last[m] if gone else None,
            )
            if gone and fm.status != "superseded":
                out.superseded.append(m)
            if updated != fm or m == fid:
                metas[m] = updated
                if m != fid:
                    self.s.filings[m] = updated
                if old != new or m == fid:
                    changed.append(m)
        # Alerts of the group, from the rows that stand; the latest filing speaks for the owners.
        rows = sorted(standing, key=lambda r: r.event_id)
        speakers = [metas[m] for m in sorted(members, key=lambda m: filing_order(metas[m])) if live[m]]
        lead = speakers[-1] if speakers else metas.get(fid) or FilingMeta.empty(fid, "")
        active = [m for m in members if live[m]]
        drafts = (
            group_drafts(
                group, rows, lead.owners, lead.who, self.settings, self._context(lead, active, metas)
            )
            if rows
            else []
        )
        drafts, unseen = self._unseen(drafts, orphans)
        alerts = self._reconcile(drafts, list(gstate.alerts), lead, fid, now, out, unseen=unseen)
        entries = tuple(
            GroupMember(fm.filing_id, fm.amendment, fm.filed, fm.orig, fm.order)
            for fm in (metas[m] for m in sorted(members))
        )
        if entries or alerts:
            self.s.groups[group] = GroupState(entries, tuple(alerts))
        elif group in self.s.groups:
            del self.s.groups[group]
        return changed

    def _orphans(self, drafts: list[Draft], metas: Mapping[str, FilingMeta | None]) -> set[str]:
        """The filings of ``drafts`` that are amendments of an original never seen."""
        out = set()
        for f in {f for d in drafts for f in d.filing_ids}:
            fm = metas.get(f) or self.s.filings.get(f)
            if fm is not None and fm.amendment and fm.base is None:
                out.add(f)
        return out

    def _unseen(self, drafts: list[Draft], orphans: set[str]) -> tuple[list[Draft], set[str]]:
        """Drafts resting on an amendment whose original was never seen: flagged, one step lower, and
        a distinct id, so the alert of the original replaces them once it arrives."""
        out: list[Draft] = []
        flagged: set[str] = set()
        for d in drafts:
            from_orphans = sorted(set(d.filing_ids) & orphans)
            if from_orphans:
                d = replace(
                    d,
                    alert_id=stable_id(d.alert_id, "amends_unseen_original"),
                    severity=_lower(d.severity),
                    summary=f"{d.summary} (from amendment {', '.join(from_orphans)}; "
                    "its original filing was not seen)",
                )
                flagged.add(d.alert_id)
            out.append(d)
        return out, flagged

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
            signals=signals_of(filing.events),
            form_type=filing.form_type,
        )

    def _summarize(self, ordered: tuple[StateRow, ...]) -> Summary:
        s = self.settings
        return summarize(ordered, s.reconcile_tolerance_shares, s.coverage_gap_days)

    def _apply_rows(self, meta: FilingMeta, out: Outcome) -> None:
        by_position: dict[str, list[FilingRow]] = {}
        for row in meta.rows:
            by_position.setdefault(row.position, []).append(row)
        for pk, rows in by_position.items():
            pos = self.s.positions.get(pk) or self._new_position(rows[0], meta)
            known = {r.event_id: r for r in pos.rows}
            for row in rows:
                known[row.event_id] = row.state_row()
            ordered = tuple(sort_rows(known.values()))
            pos = self._named(replace(pos, rows=ordered, summary=self._summarize(ordered)), meta)
            ids = {r.event_id for r in rows}
            out.breaks += sum(1 for b in pos.summary.breaks if b.event_id in ids)
            self.s.positions[pk] = pos
            out.positions.append(pk)
        for row in meta.rows:
            sale = self._sale(row, meta)
            if sale is not None:
                key = _sales_key(meta.issuer, sale.day, is_purchase(row))
                self.s.sales[key] = (self.s.sales.get(key) or DaySales()).with_sale(sale)
        trades = trades_of(meta)
        if trades:
            ik = insider_key(meta)
            self.s.insiders[ik] = (self.s.insiders.get(ik) or InsiderHistory()).with_rows(trades, meta.group)

    def _unapply(self, meta: FilingMeta, out: Outcome) -> None:
        for row in meta.rows:
            pk = row.position
            pos = self.s.positions.get(pk)
            if pos and any(r.event_id == row.event_id for r in pos.rows):
                kept = tuple(r for r in pos.rows if r.event_id != row.event_id)
                if kept:
                    self.s.positions[pk] = self._named(
                        replace(pos, rows=kept, summary=self._summarize(kept)), meta
                    )
                else:
                    # No rows, no position: as if the superseded filing had never been applied,
                    # which is what an amendment arriving before its original leaves.
                    del self.s.positions[pk]
                out.positions.append(pk)
            if row.day is None:
                continue
            key = _sales_key(meta.issuer, row.day, is_purchase(row))
            day = self.s.sales.get(key)
            if day and day.has(row.event_id):
                self.s.sales[key] = day.without(row.event_id)
        history = self.s.insiders.get(insider_key(meta))
        if history is not None:
            self.s.insiders[insider_key(meta)] = history.without({r.event_id for r in meta.rows})

    def _named(self, pos: Position, meta: FilingMeta) -> Position:
        """``pos`` with the names (issuer, ticker, owners, title) of the latest filing among its rows.

        Names differ between filings ("GOOGLE INC." then "Alphabet Inc.", "Brin Sergey" and "Sergey
        Brin"): taking them from the latest standing row makes them a function of the filings that stand,
        never of arrival order.
        """
        if not pos.rows:
            return pos
        latest = max(pos.rows, key=lambda r: (r.order, r.filing_id))
        if latest.filing_id == pos.names_from:
            return pos
        candidates = (meta, self._applying)
        source = next((m for m in candidates if m is not None and m.filing_id == latest.filing_id), None)
        source = source or self.s.filings.get(latest.filing_id)
        if source is None:
            return pos
        row = next((r for r in source.rows if r.position == pos.key), None)
        if row is None:
            return pos
        fresh = self._new_position(row, source)
        return replace(
            pos,
            issuer_name=fresh.issuer_name,
            ticker=fresh.ticker,
            owners=fresh.owners,
            security_title=fresh.security_title,
            names_from=latest.filing_id,
        )

    def _new_position(self, row: FilingRow, meta: FilingMeta) -> Position:
        _, _, security, ownership = row.position.split("|", 3)
        named = {o.key: o for o in meta.owners}
        owners = tuple(
            PositionOwner(k, named[k].cik if k in named else None, named[k].name if k in named else k)
            for k in row.holder_owners
        )
        return Position(
            key=row.position,
            issuer=meta.issuer,
            issuer_cik=meta.issuer_cik,
            issuer_name=meta.issuer_name,
            ticker=meta.ticker,
            holder=row.holder,
            owners=owners,
            security=security,
            security_title=row.title,
            table=row.table,
            ownership=ownership,
            direct_indirect=row.direct_indirect,
            nature=row.nature,
            vehicle=row.vehicle,
            rows=(),
            summary=self._summarize(()),
            names_from=meta.filing_id,
        )

    def _sale(self, row: FilingRow, meta: FilingMeta) -> Sale | None:
        """An open-market sale, or purchase (issue 11), as the cluster rules read it."""
        if not (is_sale(row) or is_purchase(row)) or row.day is None:
            return None
        breach = any(g.breach for g in meta.signals if g.event_id == row.event_id)
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
            # A trade inside its plan's cooling-off period gets no plan downgrade (issue 11).
            plan=row.plan and not breach,
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
        for buying in (False, True):
            changed = [
                sale.day
                for m in [fid, *dropped]
                if (fm := metas.get(m))
                for r in fm.rows
                if (sale := self._sale(r, fm)) is not None and is_purchase(r) == buying
            ]
            if not changed:
                continue
            issuer = meta.issuer
            days = self.settings.cluster_buy_window_days if buying else self.settings.cluster_window_days
            window = timedelta(days=days - 1)
            lo, hi = min(changed) - window, max(changed) + window
            sales: list[Sale] = []
            day = lo - window
            while day <= hi + window:
                sales.extend((self.s.sales.get(_sales_key(issuer, day, buying)) or DaySales()).sales)
                day += timedelta(days=1)
            rule: Rule = "cluster_buying" if buying else "cluster_selling"
            drafts = cluster_drafts(issuer, sales, (lo, hi), self.settings, rule)
            drafts, unseen = self._unseen(drafts, self._orphans(drafts, metas))
            # Buying windows are kept under their own key of the same store (issue 11).
            akey = f"{issuer}|P" if buying else issuer
            windows = (self.s.issuer_alerts.get(akey) or IssuerAlerts()).windows
            in_range = [aid for anchor, aid in windows if lo <= anchor <= hi]
            kept = set(self._reconcile(drafts, in_range, meta, fid, now, out, unseen=unseen))
            drafted = {d.alert_id for d in drafts}
            # Ids retracted now stay listed until the next change of their window, as in a group's list:
            # if a crash lets this list reach its table but not the alert's own record, the redelivery
            # still finds the alert and retracts it in the table too.
            listed = [(a, i) for a, i in windows if i not in in_range or (i in kept and i not in drafted)]
            listed += [
                (d.figures.window_start, d.alert_id)
                for d in drafts
                if d.alert_id in kept and d.figures.window_start
            ]
            self.s.issuer_alerts[akey] = IssuerAlerts.of(dict.fromkeys(listed))

    def _reconcile(
        self,
        drafts: list[Draft],
        existing: list[str],
        meta: FilingMeta,
        fid: str,
        now: datetime,
        out: Outcome,
        unseen: AbstractSet[str] = frozenset(),
    ) -> list[str]:
        """Raise drafts not yet raised, retract existing alerts that no longer hold.

        ``unseen``: ids of drafts that rest on an amendment of an original never seen (issue 10)."""
        wanted = {d.alert_id: d for d in drafts}
        retracted: set[str] = set()
        raiser = self._raiser or fid
        # Retractions first: a consumer sees the old alert withdrawn before its restatement.
        for aid in existing:
            if aid in wanted:
                continue
            stored = self.s.alerts.get(aid)
            said = out.last_kind(aid)
            if said == "alert_retracted":
                continue
            if stored and (stored.active or (stored.retracted_by == raiser and said is None)):
                original = stored.record
                out.alerts.append(
                    original.model_copy(
                        update={
                            "kind": "alert_retracted",
                            "alert_id": f"{aid}-retracted",
                            "retracts": aid,
                            "summary": f"RETRACTED: {original.summary}",
                            "created_at": now,
                            # Issue 10: the filing (usually an amendment) that made it no longer hold.
                            "retracted_by": fid,
                        }
                    )
                )
                self.s.alerts[aid] = replace(stored, active=False, retracted_by=raiser)
                retracted.add(aid)
        for aid, draft in wanted.items():
            stored = self.s.alerts.get(aid)
            said = out.last_kind(aid)
            if said == "alert_raised":
                continue  # raised earlier in this same apply
            # Re-send when this same filing raised it before a crash: at-least-once, never lost.
            if not stored or not stored.active or (stored.raised_by == raiser and said is None):
                alert = self._alert(draft, meta, now)
                if aid in unseen:
                    alert = alert.model_copy(update={"amends_unseen_original": True})
                out.alerts.append(alert)
                self.s.alerts[aid] = AlertState(
                    active=True, raised_by=raiser, retracted_by=None, record=alert
                )
        # Ids retracted now stay listed, so a redelivery after a crash re-sends the retraction.
        return sorted(set(wanted) | retracted)

    # --- issue 11: history, trader classification, insider rules, context ---------------------
    def _context(
        self, meta: FilingMeta, active: Iterable[str], metas: Mapping[str, FilingMeta | None]
    ) -> GroupContext:
        """A group's row signals and its insider's classification at the group's first trade."""
        signals = {g.event_id: g for m in active if (fm := metas.get(m)) for g in fm.signals}
        days = [r.day for m in active if (fm := metas.get(m)) for r in fm.rows if r.day and not r.is_holding]
        trader, start = classify(
            self.s.insiders.get(insider_key(meta)), min(days) if days else None, self.settings.routine_years
        )
        return GroupContext(signals=signals, trader=trader, history_start=start)

    def _insider_signals(
        self, meta: FilingMeta, changed: list[FilingMeta | None], fid: str, now: datetime, out: Outcome
    ) -> None:
        """Recompute the insider's own alerts, and those of its other groups whose classification the
        rows just applied or withdrawn can change (older history arriving late)."""
        ik = insider_key(meta)
        history = self.s.insiders.get(ik)
        if history is None:
            return
        signals = {
            g.event_id: g for t in {t.filing_id for t in history.trades} for g in self._signals(t, meta)
        }
        roles = sorted({role_of(o) for o in meta.owners})
        drafts = insider_drafts(ik, history, roles, meta.who, signals, self.settings)
        kept = self._reconcile(drafts, list(history.alerts), meta, fid, now, out)
        history = replace(history, alerts=tuple(kept))
        self.s.insiders[ik] = history
        days = [r.day for fm in changed if fm for r in fm.rows if r.day]
        if not days:
            return
        earliest = min(days)
        for group in history.groups:
            if group == meta.group:
                continue
            gstate = self.s.groups.get(group)
            if gstate is None:
                continue
            # Issue 10: a group's rows are those of its filings that stand (amendments restate rows).
            metas = [fm for m in gstate.member_map() if (fm := self.s.filings.get(m))]
            rows = [r for fm in metas for r in self._live_rows(fm)]
            if not rows or max((r.day for r in rows if r.day), default=earliest) <= earliest:
                continue  # history before this group's trades did not change
            self._regroup(group, {}, fid, now, out)

    def _signals(self, filing_id: str, meta: FilingMeta) -> tuple[RowSignal, ...]:
        fm = meta if filing_id == meta.filing_id else self.s.filings.get(filing_id)
        return fm.signals if fm else ()

    def _alert(self, draft: Draft, meta: FilingMeta, now: datetime) -> Alert:
        metas = {f: (meta if f == meta.filing_id else self.s.filings.get(f)) for f in draft.filing_ids}
        if draft.rule in ("cluster_selling", "cluster_buying"):
            ids = set(draft.event_ids)
            rows = [r for fm in metas.values() if fm for r in fm.rows if r.event_id in ids]
            signals = {g.event_id: g for fm in metas.values() if fm for g in fm.signals}
            draft = context_of(draft, rows, signals, self.settings)
        accessions = tuple(f for f in draft.filing_ids if not f.startswith("sha256-"))
        cik = meta.issuer_cik.lstrip("0")
        urls = tuple(
            f"https://www.sec.gov/Archives/edgar/data/{cik}/{a.replace('-', '')}/{a}-index.htm"
            for a in accessions
            if cik.isdigit()
        )
        filed = tuple(sorted({fm.filed for fm in metas.values() if fm and fm.filed}))
        if draft.rule in ("cluster_selling", "cluster_buying"):
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
            accession_numbers=accessions,
            event_ids=draft.event_ids,
            plan_10b5_1=draft.plan_10b5_1,
            figures=draft.figures,
            summary=draft.summary,
            created_at=now,
            trader=draft.trader,
            history_start=draft.history_start,
            late=draft.late,
            filing_lag_business_days=draft.lag,
            stale=draft.stale,
            plan_cooling_off_breach=draft.breach,
            transaction_dates=draft.transaction_dates,
            filing_dates=filed,
            edgar_urls=urls,
            net_change_shares=draft.net_change,
            evidence=tuple(
                AlertEvidence(event_id=e, decides=d, field=f, footnote=n)  # type: ignore[arg-type]
                for e, d, f, n in draft.evidence
            ),
        )


__all__ = ["Ledger", "Outcome", "Stores", "issuer_key"]
