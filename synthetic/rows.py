"""Row intents (:class:`Spec`) and the bookkeeping that turns them into consistent :class:`Row` models.

A generator first decides *what happens* (sell 3,000 shares by the trust at $41.20) as specs, then
:func:`build_rows` replays the specs against the owner's running positions to fill in the
"owned following" amounts. Keeping the intent separate is what lets an amendment restate a filing:
change a spec, replay it from the same starting positions, and the chain stays consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from parsers.models import AcquiredDisposed, Row, TableName, Timeliness

PositionKey = tuple[str, str, str, str, Decimal | None, date | None]
"""(group key, table, security title, "D" or nature of indirect ownership, exercise price, expiration)."""

# Document order of the fields of each table, as the XML elements appear: footnote ids are
# numbered by first use in this order, like EDGAR filings are.
NON_DERIVATIVE_FIELDS = (
    "security_title",
    "transaction_date",
    "deemed_execution_date",
    "transaction_code",
    "timeliness",
    "shares",
    "price_per_share",
    "acquired_disposed",
    "shares_owned_following",
    "value_owned_following",
    "direct_indirect",
    "nature_of_ownership",
)
DERIVATIVE_FIELDS = (
    "security_title",
    "conversion_or_exercise_price",
    "transaction_date",
    "deemed_execution_date",
    "transaction_code",
    "timeliness",
    "shares",
    "total_value",
    "price_per_share",
    "acquired_disposed",
    "exercise_date",
    "expiration_date",
    "underlying_security_title",
    "underlying_shares",
    "underlying_value",
    "shares_owned_following",
    "value_owned_following",
    "direct_indirect",
    "nature_of_ownership",
)


@dataclass
class Spec:
    """What one row reports, before the running position fills in the amount owned after it."""

    table: TableName
    title: str
    nature: str | None = None
    """``None`` for direct ownership, else the nature of the indirect ownership."""
    is_holding: bool = False
    code: str | None = None
    ad: AcquiredDisposed | None = None
    amount: Decimal | None = None
    by_value: bool = False
    """The amount is a dollar value (derivative ``transactionTotalValue``), not a share count."""
    price: Decimal | None = None
    tx_date: date | None = None
    deemed: date | None = None
    form_type: str | None = None
    swap: bool | None = None
    timeliness: Timeliness | None = None
    conv_price: Decimal | None = None
    exercise_date: date | None = None
    expiration: date | None = None
    underlying_title: str | None = None
    ratio: Decimal = Decimal(1)
    notes: dict[str, list[str]] = field(default_factory=dict)
    plan: bool | None = None
    """True: a footnote ties the row to a 10b5-1 plan; False: a footnote says it was not; None: silent."""
    plan_adopted: date | None = None

    def note(self, field_name: str, text: str) -> Spec:
        """Attach a footnote text to a field; returns self so calls chain."""
        texts = self.notes.setdefault(field_name, [])
        if text not in texts:
            texts.append(text)
        return self

    def key(self, group_key: str) -> PositionKey:
        return (group_key, self.table, self.title, self.nature or "D", self.conv_price, self.expiration)


def plan_text(adopted: date) -> str:
    """A footnote tying trades to a 10b5-1 plan, with its adoption date (as the 2023 rule asks)."""
    return (
        "The transactions reported on this Form 4 were effected pursuant to a Rule 10b5-1 trading plan "
        f"adopted by the reporting person on {adopted:%B} {adopted.day}, {adopted.year}."
    )


NOT_PLAN_TEXT = "This transaction was not made pursuant to a Rule 10b5-1 trading plan."


def build_rows(
    specs: list[Spec], positions: dict[PositionKey, Decimal], group_key: str, aff10b5_one: bool | None
) -> tuple[tuple[Row, ...], dict[str, str]]:
    """Replay specs against ``positions`` (updated in place) and build the rows and footnotes.

    Returns:
        The rows (Table I first, then Table II, each in spec order) and the footnotes, id -> text,
        numbered by first use in document order.

    Raises:
        ValueError: a disposal bigger than the position, i.e. a bug in the generator.
    """
    ordered = [s for s in specs if s.table == "non_derivative"] + [
        s for s in specs if s.table == "derivative"
    ]
    rows: list[Row] = []
    ids: dict[str, str] = {}
    counters = {"non_derivative": 0, "derivative": 0}
    for spec in ordered:
        if spec.plan is True and spec.plan_adopted is not None:
            spec.note("transaction_code", plan_text(spec.plan_adopted))
        elif spec.plan is False:
            spec.note("transaction_code", NOT_PLAN_TEXT)
        key = spec.key(group_key)
        if spec.is_holding:
            following = positions[key]
        else:
            assert spec.amount is not None
            prior = positions.get(key, Decimal(0))
            following = prior + spec.amount if spec.ad == "A" else prior - spec.amount
            if following < 0:
                raise ValueError(f"position {key} would go negative: {prior} - {spec.amount}")
            positions[key] = following
        order = NON_DERIVATIVE_FIELDS if spec.table == "non_derivative" else DERIVATIVE_FIELDS
        notes = {f: tuple(spec.notes[f]) for f in order if spec.notes.get(f)}
        for texts in notes.values():
            for text in texts:
                ids.setdefault(text, f"F{len(ids) + 1}")
        # Holdings are no trades: the checkbox says nothing about them (as the parsers read it).
        plan = (
            True
            if spec.plan is True
            else False
            if spec.plan is False
            else None
            if spec.is_holding
            else aff10b5_one
        )
        rows.append(_row(spec, counters[spec.table], following, notes, plan))
        counters[spec.table] += 1
    return tuple(rows), {fid: text for text, fid in ids.items()}


def _row(
    spec: Spec, index: int, following: Decimal, notes: dict[str, tuple[str, ...]], plan: bool | None
) -> Row:
    derivative = spec.table == "derivative"
    holding = spec.is_holding
    underlying = None
    if derivative and not spec.by_value:
        underlying = following * spec.ratio if holding else (spec.amount or Decimal(0)) * spec.ratio
    return Row(
        table=spec.table,
        index=index,
        is_holding=holding,
        security_title=spec.title,
        transaction_date=None if holding else spec.tx_date,
        deemed_execution_date=None if holding else spec.deemed,
        transaction_form_type=None if holding else spec.form_type,
        transaction_code=None if holding else spec.code,
        equity_swap=None if holding else bool(spec.swap),
        timeliness=None if holding else spec.timeliness,
        shares=None if holding or spec.by_value else spec.amount,
        total_value=spec.amount if (not holding and spec.by_value) else None,
        price_per_share=None if holding else spec.price,
        acquired_disposed=None if holding else spec.ad,
        shares_owned_following=None if spec.by_value else following,
        value_owned_following=following if spec.by_value else None,
        direct_indirect="I" if spec.nature else "D",
        nature_of_ownership=spec.nature,
        conversion_or_exercise_price=spec.conv_price if derivative else None,
        exercise_date=spec.exercise_date if derivative else None,
        expiration_date=spec.expiration if derivative else None,
        underlying_security_title=spec.underlying_title if derivative else None,
        underlying_shares=underlying if derivative and not spec.by_value else None,
        underlying_value=(spec.amount if not holding else following)
        if derivative and spec.by_value
        else None,
        footnotes=notes,
        plan_10b5_1=plan,
        plan_adoption_date=spec.plan_adopted if spec.plan is True else None,
    )


__all__ = [
    "DERIVATIVE_FIELDS",
    "NON_DERIVATIVE_FIELDS",
    "NOT_PLAN_TEXT",
    "PositionKey",
    "Spec",
    "build_rows",
    "plan_text",
]
