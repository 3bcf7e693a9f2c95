"""The project's seed filing (QUALYS, Form 4, plain text with the Table I amounts dropped)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import parse
from parsers.models import Filing, Row
from parsers.text import parse_text

SEED = "seed/004_20df6d6f311adac3.txt"


@pytest.fixture(scope="module")
def seed(corpus: Path) -> Filing:
    content = (corpus / SEED).read_bytes()
    return parse_text(content, sha256=hashlib.sha256(content).hexdigest())


def _t1(filing: Filing) -> list[Row]:
    return [r for r in filing.rows if r.table == "non_derivative"]


def _t2(filing: Filing) -> list[Row]:
    return [r for r in filing.rows if r.table == "derivative"]


def test_dispatch_hint_text_matches_direct_call(corpus: Path, seed: Filing) -> None:
    """Prevents the public parse(hint="text") path from diverging from parse_text."""
    assert parse((corpus / SEED).read_bytes(), hint="text") == seed


def test_filing_header(seed: Filing) -> None:
    """Prevents a wrong form type, period, source format or an invented accession number."""
    assert seed.source_format == "text"
    assert seed.form_type == "4"
    assert seed.period_of_report == date(2013, 11, 22)
    assert seed.date_of_original_submission is None
    assert seed.accession_number is None
    assert seed.aff10b5_one is None  # the 2013 form has no 10b5-1 checkbox


def test_issuer(seed: Filing) -> None:
    """Prevents a guessed issuer CIK (the text has none) or a ticker with its brackets."""
    assert seed.issuer.name == "QUALYS, INC."
    assert seed.issuer.ticker == "QLYS"
    assert seed.issuer.cik == ""


def test_owner(seed: Filing) -> None:
    """Prevents losing the officer box (ticked by the absence of its blank) or the address."""
    assert len(seed.owners) == 1
    owner = seed.owners[0]
    assert owner.name == "Albert Peter"
    assert owner.cik is None
    assert (owner.is_officer, owner.is_director, owner.is_ten_percent_owner, owner.is_other) == (
        True,
        False,
        False,
        False,
    )
    assert owner.officer_title == "VP, OPERATIONS"
    assert owner.address is not None
    assert owner.address.street1 == "C/O QUALYS, INC., 1600 BRIDGE PARKWAY"
    assert (owner.address.city, owner.address.state, owner.address.zip_code) == (
        "REDWOOD CITY",
        "CA",
        "94065",
    )


def test_table_one_exercise_row(seed: Filing) -> None:
    """Prevents reading the price as the amount (the rendering dropped the amount column)."""
    row = _t1(seed)[0]
    assert (row.index, row.is_holding, row.security_title) == (0, False, "Common Stock")
    assert row.transaction_date == date(2013, 11, 22)
    assert row.transaction_code == "M"
    assert row.acquired_disposed == "A"
    assert row.shares == Decimal("10000")
    assert row.price_per_share == Decimal("4.8")
    assert row.shares_owned_following == Decimal("10000")
    assert row.direct_indirect == "D"
    assert row.nature_of_ownership is None
    assert row.derived_fields == ("shares",)


def test_table_one_sale_row(seed: Filing) -> None:
    """Prevents a sale amount of 0 or None when the owned-following chain determines it."""
    row = _t1(seed)[1]
    assert row.transaction_code == "S"
    assert row.acquired_disposed == "D"
    assert row.shares == Decimal("10000")
    assert row.price_per_share == Decimal("22.5307")
    assert row.shares_owned_following == Decimal("0")
    assert row.direct_indirect == "D"
    assert row.derived_fields == ("shares",)


def test_table_two_option_row(seed: Filing) -> None:
    """Prevents inventing the columns the seed does not show (price, holdings, ownership form)."""
    rows = _t2(seed)
    assert len(rows) == 1
    row = rows[0]
    assert row.security_title == "Stock Option (right to buy)"
    assert row.conversion_or_exercise_price == Decimal("4.8")
    assert row.transaction_date == date(2013, 11, 22)
    assert row.transaction_code == "M"
    assert row.shares == Decimal("10000")
    assert row.acquired_disposed == "D"
    assert row.derived_fields == ("acquired_disposed",)
    assert row.exercise_date is None
    assert row.footnotes["exercise_date"][0].startswith("The option is subject to an early exercise")
    assert row.expiration_date == date(2021, 4, 28)
    assert row.underlying_security_title == "Common Stock"
    assert row.underlying_shares == Decimal("10000")
    # Not in the rendering and not determined by anything else: left unknown, not derived.
    assert row.price_per_share is None
    assert row.shares_owned_following is None
    assert row.direct_indirect is None


def test_footnotes_and_plan(seed: Filing) -> None:
    """Prevents missing the 10b5-1 plan footnote on the codes, or gluing footnote (2) into (1)."""
    assert set(seed.footnotes) == {"F1", "F2", "F3"}
    assert seed.footnotes["F1"].endswith("adopted by the Reporting Person on August 28, 2013.")
    assert seed.footnotes["F2"].startswith("The sale price reported in column 4 of Table I")
    for row in seed.rows:
        assert row.footnotes["transaction_code"] == (seed.footnotes["F1"],)
        assert row.plan_10b5_1 is True
        assert row.plan_adoption_date == date(2013, 8, 28)


def test_signature(seed: Filing) -> None:
    """Prevents the date being left inside the signature name, or a lost signature."""
    assert len(seed.signatures) == 1
    assert seed.signatures[0].name == "/s/ Bruce Posey by power of attorney for Peter Albert"
    assert seed.signatures[0].date == date(2013, 11, 22)
