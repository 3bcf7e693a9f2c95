"""Seeded stream of synthetic ownership filings: Forms 3, 4, 5 and 4/A, consistent over time.

Each owner group (a person, or a fund with its general partner filing jointly) has running positions
per security and per direct/indirect holding, so the "owned following" amounts of successive filings
chain exactly: prior holding +/- the transaction gives the next reported holding, in yield order.
Amendments restate the group's latest filing by replaying its row intents from the same start, as
they are really filed (issue 10): some restate only one table (partial amendments), some correct
the transaction dates, some name the original's accession number in their remarks; and some Forms 4
come as continuation filings ("Filing 1 of 2", "Filing 2 of 2") filed together.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from parsers.models import Filing, FormType, Issuer, ReportingOwner, Signature
from synthetic import activity
from synthetic.activity import NOTE, OPTION, PREFERRED, PUT, RSU, SAR, WARRANT, Ctx
from synthetic.rows import PositionKey, Spec, build_rows
from synthetic.universe import FilerGroup, Universe, business_days_after, next_business_day

NEW_YORK = ZoneInfo("America/New_York")
PLAN_CHECKBOX_FROM = date(2023, 4, 1)
"""aff10b5One is required on Forms 4 and 5 filed from this date (EDGAR release 23.1)."""
PLACEHOLDER_SHA256 = "0" * 64
"""Generated models have no raw bytes yet; renderers' parsers fill in the real hash."""


@dataclass
class _Last:
    """A group's latest filing, kept so that an amendment can restate it."""

    filing: Filing
    specs: list[Spec]
    snapshot: dict[PositionKey, Decimal | None]
    amended: bool = False


@dataclass
class _State:
    positions: dict[PositionKey, Decimal] = field(default_factory=dict)
    keys: dict[str, set[PositionKey]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    last: dict[str, _Last] = field(default_factory=dict)
    sequences: dict[tuple[str, int], int] = field(default_factory=dict)
    prices: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    amendable: dict[str, None] = field(default_factory=dict)
    """Groups whose latest filing is an unamended Form 4, oldest first (a dict keeps order, O(1) removal)."""


class Generator:
    """The stateful engine behind :func:`generate`; one instance yields one deterministic stream."""

    def __init__(
        self,
        seed: int,
        universe: Universe,
        *,
        per_day: int,
        amendment_rate: float = 0.04,
        form3_rate: float = 0.3,
        form5_rate: float = 0.03,
        late_rate: float = 0.05,
    ) -> None:
        self.rng = random.Random(f"stream/{seed}")
        # Issue 10's choices (continuations, partial and date-correcting amendments) draw from their
        # own stream, so they leave the rest of a seed's stream as it was where they do not apply.
        self.amend_rng = random.Random(f"amendments/{seed}")
        self.queued: list[Filing] = []
        self.universe = universe
        self.per_day = max(1, per_day)
        self.rates = (amendment_rate, form3_rate, form5_rate, late_rate)
        self.day = next_business_day(universe.start)
        self.state = _State()
        self.agents = [f"{self.rng.randint(1_000_000, 1_999_999):010d}" for _ in range(6)]
        self.by_key = {g.key: g for g in universe.groups}
        # Models of the fixed parties, built once: pydantic construction dominates generation time.
        self.issuers = {i.cik: Issuer(cik=i.cik, name=i.name, ticker=i.ticker) for i in universe.issuers}
        self.owners = {
            g.key: tuple(
                ReportingOwner(
                    cik=o.cik,
                    name=o.name,
                    address=o.address,
                    is_director=o.is_director,
                    is_officer=o.is_officer,
                    is_ten_percent_owner=o.is_ten_percent_owner,
                    is_other=o.is_other,
                    officer_title=o.officer_title,
                    other_text=o.other_text,
                )
                for o in g.owners
            )
            for g in universe.groups
        }

    # --- public ------------------------------------------------------------------------------------

    def next_filing(self) -> Filing:
        """Generate the next filing of the stream."""
        if self.queued:
            return self.queued.pop(0)
        rng = self.rng
        if rng.random() < 1 / self.per_day:
            self.day = business_days_after(self.day, 1)
        amendment_rate, _, form5_rate, _ = self.rates
        if rng.random() < amendment_rate:
            filing = self._amendment()
            if filing is not None:
                return filing
        group = rng.choice(self.universe.groups)
        if group.key not in self.state.seen:
            first = self._first_appearance(group)
            if first is not None:
                return first
        if rng.random() < form5_rate:
            return self._form5(group)
        return self._form4(group)

    # --- kinds of filing -----------------------------------------------------------------------------

    def _first_appearance(self, group: FilerGroup) -> Filing | None:
        self.state.seen.add(group.key)
        nothing = group.primary.role == "director" and self.rng.random() < 0.15
        if not nothing:
            self._seed_positions(group)
        if self.rng.random() >= self.rates[1]:
            return None
        specs = [] if nothing else self._holdings(group, only_vehicles=False)
        return self._assemble(group, "3", specs, period=self.day, tx_day=self.day, no_securities=nothing)

    def _form4(self, group: FilerGroup) -> Filing:
        specs = self._event(group)
        if self.rng.random() < 0.3:
            touched = {s.nature for s in specs if s.table == "non_derivative"}
            specs += [h for h in self._holdings(group, only_vehicles=True) if h.nature not in touched]
        if self.amend_rng.random() < 0.1:
            # A continuation: the day's report in two filings filed together, each whole events.
            first = self._assemble(group, "4", specs, period=self.day, tx_day=self.day, note="Filing 1 of 2")
            assert first.filing_date is not None
            second = self._assemble(
                group,
                "4",
                self._event(group),
                period=self.day,
                tx_day=self.day,
                note="Filing 2 of 2",
                filed_on=first.filing_date,
            )
            self.queued.append(second)
            return first
        return self._assemble(group, "4", specs, period=self.day, tx_day=self.day)

    def _event(self, group: FilerGroup) -> list[Spec]:
        """The rows of one day's activity of ``group`` (an exercise and its sale stay together)."""
        ctx = self._ctx(group, self.day)
        kind = "officer" if group.primary.is_officer else "fund" if group.primary.is_entity else "director"
        weights = activity.WEIGHTS[kind]
        names = list(weights)
        specs: list[Spec] = []
        for _ in range(4):
            name = self.rng.choices(names, weights=[weights[n] for n in names])[0]
            specs = activity.EVENTS[name](ctx)
            if specs:
                break
        if not specs:
            # Always possible: an open-market purchase creates the position it reports.
            specs = activity.purchase(ctx)
        return specs

    def _form5(self, group: FilerGroup) -> Filing:
        month, day = group.issuer.fiscal_year_end
        fye = date(self.day.year, month, day)
        if fye >= self.day:
            fye = date(self.day.year - 1, month, day)
        tx_day = next_business_day(fye - timedelta(days=self.rng.randint(20, 200)))
        ctx = self._ctx(group, tx_day)
        specs = activity.gift(ctx) or activity.simple("L", "A")(ctx)
        late = self.rng.random() < 0.3
        for spec in specs:
            spec.form_type, spec.timeliness = ("4", "L") if late else ("5", None)
        specs += self._holdings(group, only_vehicles=True)
        return self._assemble(group, "5", specs, period=fye, tx_day=tx_day, due=business_days_after(fye, 30))

    def _amendment(self) -> Filing | None:
        if not self.state.amendable:
            return None
        last = self.state.last[self.rng.choice(list(self.state.amendable))]
        original = last.filing
        specs = copy.deepcopy(last.specs)
        sales = [s for s in specs if s.code == "S" and s.amount is not None and s.amount > 1]
        priced = [s for s in specs if s.price]
        if sales and self.rng.random() < 0.5:
            spec = self.rng.choice(sales)
            spec.amount = max(Decimal(1), (spec.amount * Decimal("0.6")).to_integral_value())  # type: ignore[operator]
        elif priced:
            spec = self.rng.choice(priced)
            spec.price = (spec.price * Decimal("1.0125")).quantize(Decimal("0.0001"))  # type: ignore[operator]
        else:
            return None
        for key, value in last.snapshot.items():
            if value is None:
                self.state.positions.pop(key, None)
            else:
                self.state.positions[key] = value
        group = self.by_key[_group_key(original)]
        assert original.period_of_report is not None and original.filing_date is not None
        arng = self.amend_rng
        period = original.period_of_report
        only: str | None = None
        mode = arng.random()
        tables = sorted({s.table for s in specs})
        if mode < 0.3 and len(tables) > 1:
            # A partial amendment: it restates the table of the line it corrects, the other stands.
            only = spec.table
        elif mode < 0.5:
            # A corrected transaction date: the original reported the day after the trades.
            for each in specs:
                if each.tx_date is not None:
                    each.tx_date -= timedelta(days=1)
            period = min((s.tx_date for s in specs if s.tx_date), default=period)
        note = None
        if original.accession_number and arng.random() < 0.3:
            note = (
                f"This amendment amends the Form 4 filed under accession number {original.accession_number}."
            )
        filing = self._assemble(
            group,
            "4/A",
            specs,
            period=period,
            tx_day=self.day,
            original=original.filing_date,
            snapshot=last.snapshot,
            note=note,
            only_table=only,
        )
        return filing

    # --- helpers -------------------------------------------------------------------------------------

    def _ctx(self, group: FilerGroup, day: date) -> Ctx:
        keys = self.state.keys.setdefault(group.key, set())
        return Ctx(
            self.rng,
            group,
            day,
            self._price(group, day),
            self.state.positions,
            keys,
            day >= PLAN_CHECKBOX_FROM,
        )

    def _price(self, group: FilerGroup, day: date) -> Decimal:
        cache_key = (group.issuer.cik, day.toordinal())
        price = self.state.prices.get(cache_key)
        if price is None:
            # A smooth, deterministic walk: no state needed to price any day.
            phase = int(group.issuer.cik) % 97
            swing = 1 + 0.25 * math.sin(day.toordinal() / 37 + phase) + 0.05 * math.sin(day.toordinal() / 3.1)
            price = (group.issuer.base_price * Decimal(str(round(swing, 4)))).quantize(Decimal("0.01"))
            self.state.prices[cache_key] = price
        return price

    def _put(self, key: PositionKey, amount: Decimal) -> None:
        self.state.positions[key] = amount
        self.state.keys.setdefault(key[0], set()).add(key)

    def _seed_positions(self, group: FilerGroup) -> None:
        rng, g, day = self.rng, group.key, self.day
        price = group.issuer.base_price
        fund = group.primary.is_entity
        common = group.issuer.common_title
        low, high = (
            (1_000_000, 20_000_000)
            if fund
            else (20_000, 600_000)
            if group.primary.is_officer
            else (5_000, 120_000)
        )
        self._put((g, "non_derivative", common, "D", None, None), Decimal(rng.randint(low, high)))
        for vehicle in group.vehicles:
            self._put(
                (g, "non_derivative", common, vehicle, None, None), Decimal(rng.randint(low // 4, high // 4))
            )

        def expiry(years: int) -> date:
            return date(day.year + rng.randint(1, years), rng.randint(1, 12), rng.randint(1, 28))

        def strike(lo: float, hi: float) -> Decimal:
            return (price * Decimal(str(round(rng.uniform(lo, hi), 3)))).quantize(Decimal("0.01"))

        if fund:
            self._put(
                (g, "derivative", WARRANT, "D", strike(0.5, 1.3), expiry(6)),
                Decimal(rng.randint(50_000, 900_000)),
            )
            self._put((g, "derivative", PREFERRED, "D", None, None), Decimal(rng.randint(100_000, 2_000_000)))
            if rng.random() < 0.6:
                self._put(
                    (g, "derivative", PUT, "D", strike(0.6, 0.9), expiry(2)),
                    Decimal(rng.randint(10_000, 200_000)),
                )
            if rng.random() < 0.5:
                self._put(
                    (g, "derivative", NOTE, "D", strike(0.8, 1.5), expiry(5)),
                    Decimal(rng.randint(10, 100) * 100_000),
                )
            return
        for _ in range(rng.randint(1, 2)):
            self._put(
                (g, "derivative", OPTION, "D", strike(0.3, 1.2), expiry(9)),
                Decimal(rng.randint(5_000, 250_000)),
            )
        self._put((g, "derivative", RSU, "D", None, None), Decimal(rng.randint(2_000, 90_000)))
        if group.primary.is_officer and rng.random() < 0.3:
            self._put(
                (g, "derivative", SAR, "D", strike(0.5, 0.9), expiry(7)), Decimal(rng.randint(5_000, 60_000))
            )

    def _holdings(self, group: FilerGroup, *, only_vehicles: bool) -> list[Spec]:
        keys = sorted(self.state.keys.get(group.key, ()), key=str)
        out: list[Spec] = []
        for key in keys:
            _, table, title, nature, conv, expiration = key
            if self.state.positions.get(key, Decimal(0)) <= 0:
                continue
            if only_vehicles and (table != "non_derivative" or nature == "D"):
                continue
            spec = Spec(
                table=table,  # type: ignore[arg-type]  # the key holds a TableName as a str
                title=title,
                nature=None if nature == "D" else nature,
                is_holding=True,
                conv_price=conv,
                expiration=expiration,
                by_value=title == NOTE,
                underlying_title=group.issuer.common_title if table == "derivative" else None,
            )
            if table == "derivative":
                activity._derivative_terms(spec, self.day)
            out.append(spec)
        return out

    def _accession(self, group: FilerGroup, filed: date) -> str:
        prefix = group.primary.cik if self.rng.random() < 0.3 else self.rng.choice(self.agents)
        key = (prefix, filed.year % 100)
        seq = self.state.sequences.get(key) or self.rng.randint(1, 40_000)
        self.state.sequences[key] = seq + 1
        return f"{prefix}-{filed.year % 100:02d}-{seq:06d}"

    def _assemble(
        self,
        group: FilerGroup,
        form: FormType,
        specs: list[Spec],
        *,
        period: date,
        tx_day: date,
        no_securities: bool = False,
        due: date | None = None,
        original: date | None = None,
        snapshot: dict[PositionKey, Decimal | None] | None = None,
        note: str | None = None,
        filed_on: date | None = None,
        only_table: str | None = None,
    ) -> Filing:
        rng = self.rng
        late = rng.random() < self.rates[3]
        if filed_on is not None:
            filed = filed_on
        elif form == "4/A":
            filed = business_days_after(self.day, rng.randint(1, 5))
        elif late:
            filed = business_days_after(due or tx_day, rng.randint(3, 40))
            if form == "4":
                for spec in specs:
                    if not spec.is_holding and spec.timeliness is None and rng.random() < 0.5:
                        spec.timeliness = "L"
        else:
            filed = (
                _business_day_on_or_before(due - timedelta(days=rng.randint(0, 20)))
                if due
                else business_days_after(tx_day, rng.choice((1, 1, 2)))
            )
        filed_at = datetime.combine(
            filed, time(rng.randint(6, 21), rng.randint(0, 59), rng.randint(0, 59)), NEW_YORK
        )
        checkbox = form[0] in "45" and filed >= PLAN_CHECKBOX_FROM
        aff = any(s.plan is True for s in specs) if checkbox else None
        keys = {s.key(group.key) for s in specs}
        start = snapshot if snapshot is not None else {k: self.state.positions.get(k) for k in keys}
        rows, footnotes = build_rows(specs, self.state.positions, group.key, aff)
        if only_table is not None:
            rows = tuple(r for r in rows if r.table == only_table)
        if form.startswith("3"):
            # Form 3 Table II has no "owned following" column: the underlying amount is the holding.
            rows = tuple(
                r.model_copy(update={"shares_owned_following": None, "value_owned_following": None})
                if r.table == "derivative"
                else r
                for r in rows
            )
        for key in keys:
            self.state.keys.setdefault(group.key, set()).add(key)
        issuer = group.issuer
        remarks = None
        if len(group.owners) > 1:
            remarks = "This report is filed jointly by " + "; ".join(o.name for o in group.owners) + "."
        elif rng.random() < 0.15:
            remarks = "Exhibit 24 - Power of Attorney"
        if note:
            remarks = f"{remarks} {note}" if remarks else note
        filing = Filing(
            source_format="xml",
            form_type=form,
            accession_number=self._accession(group, filed),
            content_sha256=PLACEHOLDER_SHA256,
            schema_version="X0306"
            if filed < PLAN_CHECKBOX_FROM
            else "X0407"
            if filed.year == 2023
            else "X0508",
            period_of_report=min((r.transaction_date for r in rows if r.transaction_date), default=period)
            if form == "4"
            else period,
            date_of_original_submission=original,
            filed_at=filed_at,
            filing_date=filed,
            aff10b5_one=aff,
            not_subject_to_section16=None if form.startswith("3") else False,
            no_securities_owned=no_securities if form.startswith("3") else None,
            remarks=remarks,
            issuer=self.issuers[issuer.cik],
            owners=self.owners[group.key],
            rows=rows,
            footnotes=footnotes,
            signatures=tuple(Signature(name=o.signer, date=filed) for o in group.owners),
        )
        self.state.amendable.pop(group.key, None)
        if form in ("4", "4/A"):
            self.state.last[group.key] = _Last(filing, specs, start, amended=form == "4/A")
            if form == "4":
                self.state.amendable[group.key] = None
        else:
            self.state.last.pop(group.key, None)
        return filing


def _business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _group_key(filing: Filing) -> str:
    return "+".join(o.cik or "" for o in filing.owners)


def default_universe(seed: int, n: int) -> Universe:
    """A universe sized so that issuers see several filings each at any ``n``."""
    return Universe(seed, n_issuers=max(8, min(400, n // 60)))


def generate(
    seed: int,
    n: int,
    *,
    universe: Universe | None = None,
    per_day: int | None = None,
    amendment_rate: float = 0.04,
    form3_rate: float = 0.3,
    form5_rate: float = 0.03,
    late_rate: float = 0.05,
) -> Iterator[Filing]:
    """Yield ``n`` synthetic filings, deterministic for a given seed and arguments.

    Args:
        seed: the whole stream is a pure function of it.
        n: number of filings.
        universe: the issuers and insiders; by default one sized for ``n`` from the same seed.
        per_day: filings per business day on average; by default ``n`` spans about three years.
        amendment_rate: share of filings that are 4/A restating the owner group's latest Form 4.
        form3_rate: chance that an owner's first appearance is an initial Form 3.
        form5_rate: share of annual Form 5 statements.
        late_rate: share of filings filed after the two-business-day deadline.
    """
    universe = universe or default_universe(seed, n)
    engine = Generator(
        seed,
        universe,
        per_day=per_day or max(1, n // 750),
        amendment_rate=amendment_rate,
        form3_rate=form3_rate,
        form5_rate=form5_rate,
        late_rate=late_rate,
    )
    for _ in range(n):
        yield engine.next_filing()


__all__ = [
    "NEW_YORK",
    "PLACEHOLDER_SHA256",
    "PLAN_CHECKBOX_FROM",
    "Generator",
    "Universe",
    "default_universe",
    "generate",
]
