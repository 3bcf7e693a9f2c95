"""What insiders do: one function per kind of event, each returning the row intents of one filing.

Every transaction code of Instruction 8 is covered. K and V are not codes in the XML: an equity swap
is a filed code (J, P, S) with ``equitySwapInvolved``; a voluntarily early report is a Form 4 line
with ``transactionFormType`` 5 and timeliness E. Disposals never exceed the running position.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from synthetic.rows import PositionKey, Spec
from synthetic.universe import FilerGroup, business_days_after

OPTION = "Stock Option (Right to Buy)"
RSU = "Restricted Stock Units"
WARRANT = "Warrants (right to buy)"
PREFERRED = "Series A Convertible Preferred Stock"
SAR = "Stock Appreciation Rights"
PUT = "Put Option (obligation to buy)"
NOTE = "Convertible Promissory Note"

RSU_TEXT = (
    "Each restricted stock unit represents a contingent right to receive one share of the issuer's "
    "common stock."
)
VEST_TEXT = (
    "The restricted stock units vest in four equal annual installments beginning on the first anniversary of "
    "the grant date."
)
OPTION_VEST_TEXT = (
    "The option vests as to 25% of the shares on the first anniversary of the grant date and monthly "
    "thereafter over 36 months."
)
TAX_TEXT = (
    "Represents shares withheld by the issuer to satisfy tax withholding obligations in connection with the "
    "vesting of restricted stock units."
)
GIFT_TEXT = "Represents a bona fide gift for no consideration."
PREF_TEXT = (
    "Each share of Series A Convertible Preferred Stock is convertible at any time into one share of common "
    "stock and has no expiration date."
)
TRUST_TEXT = (
    "The shares are held by a trust of which the reporting person is trustee. The reporting person disclaims "
    "beneficial ownership of these securities except to the extent of his or her pecuniary interest therein."
)
J_TEXT = (
    "Represents a pro rata distribution of shares by a limited partnership to its partners "
    "for no consideration."
)
SWAP_TEXT = (
    "Represents the settlement of a cash-settled total return equity swap with an unaffiliated counterparty."
)
MERGER_PRICE_TEXT = (
    "The shares were tendered in the issuer's tender offer at a price to be determined under the merger "
    "agreement."
)


def weighted_text(low: Decimal, high: Decimal, verb: str) -> str:
    """The usual weighted-average price footnote, with the range a parser can extract."""
    return (
        "The price reported is a weighted average price. "
        f"These shares were {verb} in multiple transactions at "
        f"prices ranging from ${low} to ${high}, inclusive. The reporting person undertakes to provide full "
        "information regarding the number of shares at each separate price upon request."
    )


@dataclass
class Ctx:
    """Everything an event needs: the owner group, the day, the price and the running positions."""

    rng: random.Random
    group: FilerGroup
    day: date
    price: Decimal
    positions: dict[PositionKey, Decimal]
    group_keys: set[PositionKey]
    plan_era: bool
    """Transactions from 2023-04 on: the checkbox exists and plan footnotes carry an adoption date."""

    @property
    def common(self) -> str:
        return self.group.issuer.common_title

    def held(self, table: str, title: str, nature: str | None = None) -> list[tuple[PositionKey, Decimal]]:
        """Positions of this group in ``title`` (any exercise price/expiration), largest first."""
        found = [
            (k, self.positions[k])
            for k in self.group_keys
            if k[1] == table
            and k[2] == title
            and (nature is None or k[3] == nature)
            and self.positions[k] > 0
        ]
        return sorted(found, key=lambda kv: (-kv[1], str(kv[0])))

    def qty(self, low: int, high: int) -> Decimal:
        """A share count: mostly round lots, sometimes odd, sometimes fractional (DRIP, ESPP)."""
        n = self.rng.randint(low, high)
        r = self.rng.random()
        if r < 0.5:
            return Decimal(max(100, n - n % 100))
        if r < 0.93:
            return Decimal(n)
        return Decimal(n) + Decimal(self.rng.randint(1, 9999)).scaleb(-4)

    def px(self, spread: float = 0.02) -> Decimal:
        """A trade price near the day's price, 2-4 decimals."""
        p = self.price * Decimal(str(round(1 + self.rng.uniform(-spread, spread), 4)))
        return p.quantize(Decimal(self.rng.choice(("0.01", "0.01", "0.0001", "0.001"))), rounding=ROUND_DOWN)

    def part(self, amount: Decimal, low: float, high: float) -> Decimal:
        """A whole-share fraction of ``amount`` (at least 1, at most all of it)."""
        share = (amount * Decimal(str(round(self.rng.uniform(low, high), 3)))).to_integral_value(ROUND_DOWN)
        return min(amount, max(Decimal(1), share))

    def nature(self) -> str | None:
        """Direct most of the time, else one of the group's indirect vehicles."""
        if self.group.vehicles and self.rng.random() < 0.25:
            return self.rng.choice(self.group.vehicles)
        return None

    def tx(
        self, title: str, code: str, ad: str, amount: Decimal, price: Decimal | None, **kw: object
    ) -> Spec:
        args: dict[str, object] = {"tx_date": self.day, "form_type": "4", "swap": False, **kw}
        spec = Spec(table="non_derivative", title=title, code=code, ad=ad, amount=amount, price=price, **args)  # type: ignore[arg-type]
        if spec.nature and spec.nature.startswith("By ") and "Trust" in spec.nature:
            spec.note("nature_of_ownership", TRUST_TEXT)
        return spec

    def dtx(
        self, key: PositionKey, code: str, ad: str, amount: Decimal, price: Decimal | None, **kw: object
    ) -> Spec:
        """A Table II transaction on an existing (or new) derivative position ``key``."""
        _, _, title, nature, conv, expiration = key
        args: dict[str, object] = {
            "tx_date": self.day,
            "form_type": "4",
            "swap": False,
            "conv_price": conv,
            "expiration": expiration,
            "underlying_title": self.common,
            **kw,
        }
        spec = Spec(
            table="derivative",
            title=title,
            nature=None if nature == "D" else nature,
            code=code,
            ad=ad,  # type: ignore[arg-type]
            amount=amount,
            price=price,
            **args,  # type: ignore[arg-type]  # a dict of Spec's optional fields, checked at run time
        )
        _derivative_terms(spec, self.day)
        return spec


def _derivative_terms(spec: Spec, day: date) -> None:
    """Exercise/expiration dates and the footnotes each kind of derivative usually carries."""
    if spec.title == RSU:
        spec.note("conversion_or_exercise_price", RSU_TEXT).note("exercise_date", VEST_TEXT).note(
            "expiration_date", VEST_TEXT
        )
    elif spec.title == PREFERRED:
        spec.note("conversion_or_exercise_price", PREF_TEXT).note("exercise_date", PREF_TEXT).note(
            "expiration_date", PREF_TEXT
        )
    elif spec.title == OPTION:
        spec.note("exercise_date", OPTION_VEST_TEXT)
    elif spec.title in (WARRANT, PUT, SAR, NOTE):
        spec.exercise_date = (
            date(spec.expiration.year - 5, spec.expiration.month, 1) if spec.expiration else day
        )


def _plan(ctx: Ctx, spec: Spec) -> Spec:
    """Make a sale or purchase a 10b5-1 plan trade (with adoption date after the cooling-off)."""
    spec.plan = True
    spec.plan_adopted = ctx.day - timedelta(days=ctx.rng.randint(95, 400))
    if ctx.rng.random() < 0.3:
        spec.deemed = ctx.day
    return spec


def sale(ctx: Ctx) -> list[Spec]:
    nature = ctx.nature()
    held = ctx.held("non_derivative", ctx.common, nature or "D")
    if not held:
        return []
    key, position = held[0]
    liquidate = ctx.rng.random() < 0.05
    n_rows = 1 if liquidate else ctx.rng.choice((1, 1, 1, 2, 3))
    specs: list[Spec] = []
    remaining = position
    plan = ctx.rng.random() < 0.45
    for _ in range(n_rows):
        amount = remaining if liquidate else ctx.part(remaining, 0.02, 0.3)
        if amount <= 0:
            break
        remaining -= amount
        price = ctx.px()
        spec = ctx.tx(ctx.common, "S", "D", amount, price, nature=nature)
        if ctx.rng.random() < 0.5:
            spec.note(
                "price_per_share", weighted_text(price - Decimal("0.35"), price + Decimal("0.41"), "sold")
            )
        if plan:
            _plan(ctx, spec)
        elif ctx.plan_era and ctx.rng.random() < 0.2:
            spec.plan = False
        specs.append(spec)
    return specs


def purchase(ctx: Ctx) -> list[Spec]:
    nature = ctx.nature()
    size = (20_000, 400_000) if ctx.group.primary.is_entity else (500, 30_000)
    price = ctx.px()
    spec = ctx.tx(ctx.common, "P", "A", ctx.qty(*size), price, nature=nature)
    if ctx.rng.random() < 0.4:
        spec.note(
            "price_per_share", weighted_text(price - Decimal("0.22"), price + Decimal("0.19"), "purchased")
        )
    return [spec]


def exercise_and_sell(ctx: Ctx) -> list[Spec]:
    """M on Table II (option disposed), M acquisition on Table I, then S the same day."""
    options = ctx.held("derivative", OPTION, "D")
    if not options:
        return []
    key, held = options[0]
    amount = ctx.part(held, 0.1, 1.0)
    conv = key[4] or Decimal(0)
    plan = ctx.rng.random() < 0.6
    m = ctx.tx(ctx.common, "M", "A", amount, conv)
    s = ctx.tx(ctx.common, "S", "D", amount, ctx.px())
    d = ctx.dtx(key, "M", "D", amount, Decimal(0))
    if plan:
        for spec in (m, s, d):
            _plan(ctx, spec).plan_adopted = ctx.day - timedelta(days=200)
    return [m, s, d]


def vest_and_withhold(ctx: Ctx) -> list[Spec]:
    """RSUs settle (M on Table II), shares arrive (M on Table I), some are withheld for tax (F)."""
    rsus = ctx.held("derivative", RSU, "D")
    if not rsus:
        return []
    key, held = rsus[0]
    amount = ctx.part(held, 0.2, 0.5)
    withheld = (amount * Decimal("0.4")).to_integral_value(ROUND_DOWN)
    m = ctx.tx(ctx.common, "M", "A", amount, Decimal(0))
    f = ctx.tx(ctx.common, "F", "D", withheld, ctx.px(0.0)).note("transaction_code", TAX_TEXT)
    return (
        [m, f, ctx.dtx(key, "M", "D", amount, Decimal(0))]
        if withheld > 0
        else [m, ctx.dtx(key, "M", "D", amount, Decimal(0))]
    )


def award(ctx: Ctx) -> list[Spec]:
    """A grant: restricted stock (Table I A at $0), new RSUs, or new options (Table II A)."""
    r = ctx.rng.random()
    if r < 0.35:
        return [ctx.tx(ctx.common, "A", "A", ctx.qty(1_000, 40_000), Decimal(0)).note("shares", VEST_TEXT)]
    if r < 0.7:
        key: PositionKey = (ctx.group.key, "derivative", RSU, "D", None, None)
        return [ctx.dtx(key, "A", "A", ctx.qty(1_000, 50_000), Decimal(0))]
    conv = ctx.price.quantize(Decimal("0.01"))
    key = (
        ctx.group.key,
        "derivative",
        OPTION,
        "D",
        conv,
        date(ctx.day.year + 10, ctx.day.month, min(ctx.day.day, 28)),
    )
    return [ctx.dtx(key, "A", "A", ctx.qty(5_000, 120_000), Decimal(0))]


def gift(ctx: Ctx) -> list[Spec]:
    held = ctx.held("non_derivative", ctx.common, "D")
    if not held:
        return []
    amount = ctx.part(held[0][1], 0.01, 0.1)
    specs = [ctx.tx(ctx.common, "G", "D", amount, Decimal(0)).note("transaction_code", GIFT_TEXT)]
    trusts = [v for v in ctx.group.vehicles if "Trust" in v]
    if trusts and ctx.rng.random() < 0.5:
        specs.append(ctx.tx(ctx.common, "G", "A", amount, Decimal(0), nature=trusts[0]))
    return specs


def simple(code: str, ad: str, note: str | None = None, priced: bool = True) -> Callable[[Ctx], list[Spec]]:
    """An event of one Table I row: D, I, L, W, Z, U, J (and J with an equity swap: K)."""

    def event(ctx: Ctx) -> list[Spec]:
        held = ctx.held("non_derivative", ctx.common, "D")
        if ad == "D" and not held:
            return []
        amount = ctx.part(held[0][1], 0.01, 0.15) if ad == "D" else ctx.qty(10, 5_000)
        spec = ctx.tx(ctx.common, code, ad, amount, ctx.px() if priced else Decimal(0))
        if code == "I":
            spec.deemed = business_days_after(ctx.day, 1)
        if code == "U" and ctx.rng.random() < 0.5:
            spec.price = None
            spec.note("price_per_share", MERGER_PRICE_TEXT)
        if note:
            spec.note("transaction_code", note)
        return [spec]

    return event


def equity_swap(ctx: Ctx) -> list[Spec]:
    """Code K as EDGAR derives it: a filed J/P/S line with ``equitySwapInvolved``."""
    code, ad = ctx.rng.choice((("J", "A"), ("S", "D"), ("P", "A")))
    held = ctx.held("non_derivative", ctx.common, "D")
    if ad == "D" and not held:
        return []
    amount = ctx.part(held[0][1], 0.01, 0.1) if ad == "D" else ctx.qty(1_000, 50_000)
    spec = ctx.tx(ctx.common, code, ad, amount, ctx.px(), swap=True).note("transaction_code", SWAP_TEXT)
    return [spec]


def early_voluntary(ctx: Ctx) -> list[Spec]:
    """Code V: a Form 5 transaction (gift or small acquisition) reported early on a Form 4."""
    code, ad = ctx.rng.choice((("G", "D"), ("L", "A")))
    held = ctx.held("non_derivative", ctx.common, "D")
    if ad == "D" and not held:
        return []
    amount = ctx.part(held[0][1], 0.01, 0.05) if ad == "D" else ctx.qty(10, 900)
    spec = ctx.tx(ctx.common, code, ad, amount, Decimal(0) if code == "G" else ctx.px())
    spec.form_type, spec.timeliness = "5", "E"
    return [spec]


def derivative_exercise(ctx: Ctx) -> list[Spec]:
    """X (warrants, in the money), O (out of the money) or C (preferred conversion)."""
    choice = ctx.rng.choice(("X", "O", "C"))
    title = {"X": WARRANT, "O": OPTION, "C": PREFERRED}[choice]
    held = ctx.held("derivative", title, "D")
    if not held:
        return []
    key, position = held[0]
    amount = ctx.part(position, 0.2, 1.0)
    conv = key[4]
    return [
        ctx.tx(ctx.common, choice, "A", amount, conv if conv is not None else Decimal(0)),
        ctx.dtx(key, choice, "D", amount, Decimal(0)),
    ]


def derivative_expiry(ctx: Ctx) -> list[Spec]:
    """H (long position cancelled with value received: SARs) or E (short position expires: puts)."""
    codes = ["H", "E"]
    ctx.rng.shuffle(codes)
    for code in codes:
        held = ctx.held("derivative", SAR if code == "H" else PUT, "D")
        if held:
            break
    else:
        return []
    key, position = held[0]
    return [ctx.dtx(key, code, "D", position, ctx.px() if code == "H" else Decimal(0))]


def note_conversion(ctx: Ctx) -> list[Spec]:
    """A convertible note reported by dollar value (transactionTotalValue / valueOwnedFollowing)."""
    held = ctx.held("derivative", NOTE, "D")
    if not held:
        return []
    key, position = held[0]
    value = ctx.part(position, 0.2, 1.0)
    spec = ctx.dtx(key, "J", "D", value, None, by_value=True).note("transaction_code", J_TEXT)
    spec.note("price_per_share", "The note was exchanged at its principal amount plus accrued interest.")
    return [spec]


def distribution(ctx: Ctx) -> list[Spec]:
    """J: a fund distributes shares in kind to its partners."""
    held = ctx.held("non_derivative", ctx.common, "D")
    if not held:
        return []
    amount = ctx.part(held[0][1], 0.05, 0.2)
    spec = ctx.tx(ctx.common, "J", "D", amount, Decimal(0)).note("transaction_code", J_TEXT)
    return [spec]


EVENTS: dict[str, Callable[[Ctx], list[Spec]]] = {
    "sale": sale,
    "purchase": purchase,
    "exercise_and_sell": exercise_and_sell,
    "vest_and_withhold": vest_and_withhold,
    "award": award,
    "gift": gift,
    "dispose_to_issuer": simple(
        "D", "D", "Represents shares forfeited to the issuer upon termination of service."
    ),
    "discretionary": simple("I", "A", "Represents a discretionary transaction in the issuer's 401(k) plan."),
    "small_acquisition": simple("L", "A", priced=True),
    "will": simple("W", "A", "Shares acquired from an estate by will.", priced=False),
    "voting_trust": simple("Z", "D", "Deposit of shares into a voting trust.", priced=False),
    "tender": simple("U", "D"),
    "distribution": distribution,
    "equity_swap": equity_swap,
    "early_voluntary": early_voluntary,
    "derivative_exercise": derivative_exercise,
    "derivative_expiry": derivative_expiry,
    "note_conversion": note_conversion,
}

# Relative frequencies by kind of owner; officers sell and vest, directors get grants, funds trade blocks.
WEIGHTS: dict[str, dict[str, float]] = {
    "officer": {
        "sale": 24,
        "exercise_and_sell": 12,
        "vest_and_withhold": 12,
        "award": 10,
        "purchase": 5,
        "gift": 5,
        "dispose_to_issuer": 2,
        "discretionary": 2,
        "small_acquisition": 1,
        "will": 0.5,
        "voting_trust": 0.5,
        "tender": 0.5,
        "equity_swap": 1,
        "early_voluntary": 2,
        "derivative_exercise": 3,
        "derivative_expiry": 2,
    },
    "director": {
        "award": 15,
        "purchase": 14,
        "sale": 14,
        "gift": 5,
        "exercise_and_sell": 4,
        "vest_and_withhold": 3,
        "early_voluntary": 1,
        "small_acquisition": 1,
        "will": 0.5,
        "derivative_exercise": 1,
    },
    "fund": {
        "purchase": 20,
        "sale": 22,
        "distribution": 5,
        "equity_swap": 5,
        "derivative_exercise": 6,
        "derivative_expiry": 5,
        "tender": 2,
        "voting_trust": 1,
        "note_conversion": 3,
    },
}

__all__ = [
    "EVENTS",
    "WEIGHTS",
    "Ctx",
    "OPTION",
    "RSU",
    "WARRANT",
    "PREFERRED",
    "SAR",
    "PUT",
    "NOTE",
    "weighted_text",
]
