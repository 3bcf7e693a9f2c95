"""Hand-made filings for tests of the streaming rules: small, explicit, one situation each.

Every function returns :class:`Filing` models (the same models the parsers produce), with fixed
CIKs, dates and amounts so that a test can assert exact numbers. Render them with the
``synthetic.render_*`` modules when a test needs bytes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from parsers.models import Address, Filing, FormType, Issuer, ReportingOwner, Row, Signature
from synthetic.generator import NEW_YORK, PLACEHOLDER_SHA256
from synthetic.rows import NOT_PLAN_TEXT, plan_text
from synthetic.universe import business_days_after

ISSUER = Issuer(cik="0001234567", name="Acme Widgets, Inc.", ticker="ACME")
_ADDRESS = Address(
    street1="C/O ACME WIDGETS, INC.", street2="100 MAIN STREET", city="AUSTIN", state="TX", zip_code="78701"
)
CEO = ReportingOwner(
    cik="0001000001",
    name="Doe Jane A",
    address=_ADDRESS,
    is_director=True,
    is_officer=True,
    officer_title="Chief Executive Officer",
)
CFO = ReportingOwner(
    cik="0001000002",
    name="Roe Richard",
    address=_ADDRESS,
    is_officer=True,
    officer_title="Chief Financial Officer",
)
DIRECTOR = ReportingOwner(cik="0001000003", name="Poe Edgar", address=_ADDRESS, is_director=True)
PRESIDENT = ReportingOwner(
    cik="0001000004", name="Loe Linda M", address=_ADDRESS, is_officer=True, officer_title="President"
)
COMMON = "Common Stock"
OPTION = "Stock Option (Right to Buy)"


def sale_row(
    shares: str,
    price: str,
    following: str,
    day: date,
    *,
    index: int = 0,
    code: str = "S",
    ad: str = "D",
    plan: bool | None = None,
    notes: dict[str, tuple[str, ...]] | None = None,
) -> Row:
    """One Table I open-market line (S by default), direct ownership."""
    return Row(
        table="non_derivative",
        index=index,
        is_holding=False,
        security_title=COMMON,
        transaction_date=day,
        transaction_form_type="4",
        transaction_code=code,
        equity_swap=False,
        shares=Decimal(shares),
        price_per_share=Decimal(price),
        acquired_disposed=ad,  # type: ignore[arg-type]
        shares_owned_following=Decimal(following),
        direct_indirect="D",
        footnotes=notes or {},
        plan_10b5_1=plan,
    )


def filing(
    owner: ReportingOwner,
    rows: list[Row],
    day: date,
    accession: str,
    *,
    form: FormType = "4",
    filed: date | None = None,
    original: date | None = None,
    footnotes: dict[str, str] | None = None,
    aff: bool | None = False,
) -> Filing:
    """A Form 4 around ``rows``: filed two business days after ``day`` at 17:05 New York time."""
    filed = filed or business_days_after(day, 2)
    # A line without its own 10b5-1 footnote takes the filing's checkbox, as the parsers read it.
    rows = [
        r if r.plan_10b5_1 is not None or r.is_holding else r.model_copy(update={"plan_10b5_1": aff})
        for r in rows
    ]
    return Filing(
        source_format="xml",
        form_type=form,
        accession_number=accession,
        content_sha256=PLACEHOLDER_SHA256,
        schema_version="X0508",
        period_of_report=day,
        date_of_original_submission=original,
        filed_at=datetime.combine(filed, time(17, 5), NEW_YORK),
        filing_date=filed,
        aff10b5_one=aff,
        not_subject_to_section16=False,
        issuer=ISSUER,
        owners=(owner,),
        rows=tuple(rows),
        footnotes=footnotes or {},
        signatures=(Signature(name=f"/s/ {owner.name}", date=filed),),
    )


def ceo_large_sale(day: date = date(2024, 3, 4)) -> Filing:
    """The CEO sells 20,000 shares at $100.00: a $2,000,000 open-market sale, not under a plan."""
    return filing(CEO, [sale_row("20000", "100.00", "180000", day)], day, "0000950170-24-000101")


def director_30pct_sale(day: date = date(2024, 3, 5)) -> Filing:
    """A director sells 30% of the position: 3,000 of 10,000 shares at $50.25."""
    return filing(DIRECTOR, [sale_row("3000", "50.25", "7000", day)], day, "0000950170-24-000102")


def liquidation_to_zero(day: date = date(2024, 3, 6)) -> Filing:
    """The CFO sells everything: 12,500 shares, nothing owned after."""
    return filing(CFO, [sale_row("12500", "98.10", "0", day)], day, "0000950170-24-000103")


def cluster_of_sales(start: date = date(2024, 4, 1)) -> list[Filing]:
    """Three insiders of one issuer each sell at least $100,000 within 14 days (days 0, 5 and 12)."""
    return [
        filing(CEO, [sale_row("1500", "101.00", "178500", start)], start, "0000950170-24-000201"),
        filing(
            CFO,
            [sale_row("2000", "99.50", "10500", start + timedelta(days=5))],
            start + timedelta(days=5),
            "0000950170-24-000202",
        ),
        filing(
            DIRECTOR,
            [sale_row("1100", "97.00", "5900", start + timedelta(days=12))],
            start + timedelta(days=12),
            "0000950170-24-000203",
        ),
    ]


def plan_sale(day: date = date(2024, 5, 6), adopted: date = date(2023, 11, 15)) -> Filing:
    """A sale under a 10b5-1 plan: checkbox set, footnote with the adoption date."""
    text = plan_text(adopted)
    row = sale_row("5000", "102.3456", "175000", day, plan=True, notes={"transaction_code": (text,)})
    row = row.model_copy(update={"plan_adoption_date": adopted})
    return filing(CEO, [row], day, "0000950170-24-000301", footnotes={"F1": text}, aff=True)


def exercise_and_sell(day: date = date(2024, 6, 3)) -> Filing:
    """M then S the same day: 10,000 options at $20.00 exercised (Table II), shares acquired and sold."""
    m = sale_row("10000", "20.00", "190000", day, code="M", ad="A")
    s = sale_row(
        "10000", "105.00", "180000", day, index=1, plan=False, notes={"transaction_code": (NOT_PLAN_TEXT,)}
    )
    option = Row(
        table="derivative",
        index=0,
        is_holding=False,
        security_title=OPTION,
        conversion_or_exercise_price=Decimal("20.00"),
        transaction_date=day,
        transaction_form_type="4",
        transaction_code="M",
        equity_swap=False,
        shares=Decimal("10000"),
        price_per_share=Decimal(0),
        acquired_disposed="D",
        exercise_date=date(2021, 6, 1),
        expiration_date=date(2030, 6, 1),
        underlying_security_title=COMMON,
        underlying_shares=Decimal("10000"),
        shares_owned_following=Decimal("30000"),
        direct_indirect="D",
        plan_10b5_1=False,
    )
    return filing(PRESIDENT, [m, s, option], day, "0000950170-24-000401", footnotes={"F1": NOT_PLAN_TEXT})


def amended_smaller_sale() -> tuple[Filing, Filing]:
    """A sale of 20,000 shares, then a 4/A restating it as 12,000 (same issuer, owner and period)."""
    original = ceo_large_sale()
    assert original.filing_date is not None
    restated = filing(
        CEO,
        [sale_row("12000", "100.00", "188000", original.period_of_report or date.min)],
        original.period_of_report or date.min,
        "0000950170-24-000501",
        form="4/A",
        filed=business_days_after(original.filing_date, 3),
        original=original.filing_date,
    )
    return original, restated


def amended_below_threshold() -> tuple[Filing, Filing]:
    """The $2M CEO sale, then a 4/A restating it as 8,000 shares ($800k): below the large-sale threshold."""
    original = ceo_large_sale()
    assert original.filing_date is not None and original.period_of_report is not None
    day = original.period_of_report
    restated = filing(
        CEO,
        [sale_row("8000", "100.00", "192000", day)],
        day,
        "0000950170-24-000502",
        form="4/A",
        filed=date(2024, 3, 12),
        original=original.filing_date,
    )
    return original, restated


def late_filing(day: date = date(2024, 1, 10), filed: date = date(2024, 2, 20)) -> Filing:
    """A sale filed six weeks after the trade (an earlier window, arriving late), marked L."""
    row = sale_row("4000", "88.00", "8500", day).model_copy(update={"timeliness": "L"})
    return filing(CFO, [row], day, "0000950170-24-000601", filed=filed)


def director_sale_beside_ira(day: date = date(2024, 3, 5)) -> Filing:
    """The director sells from two direct lines of Common Stock, one footnoted "Held in IRA" (F1):
    1,000 shares to 9,000 left, and 200 to 1,800 left in the IRA: two holdings."""
    rows = [
        sale_row("1000", "50.00", "9000", day, index=0),
        sale_row("200", "50.00", "1800", day, index=1, notes={"direct_indirect": ("Held in IRA",)}),
    ]
    return filing(DIRECTOR, rows, day, "0000950170-24-000555", footnotes={"F1": "Held in IRA"})


__all__ = [
    "CEO",
    "CFO",
    "DIRECTOR",
    "ISSUER",
    "PRESIDENT",
    "amended_below_threshold",
    "amended_smaller_sale",
    "ceo_large_sale",
    "cluster_of_sales",
    "director_30pct_sale",
    "director_sale_beside_ira",
    "exercise_and_sell",
    "filing",
    "late_filing",
    "liquidation_to_zero",
    "plan_sale",
    "sale_row",
]
