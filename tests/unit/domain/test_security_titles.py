"""One holding however a filer words it: a title's par value or its derivative noun, an indirect
nature's closing stop."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import parse, to_events
from parsers.models import Filing
from streams.config.settings import Settings
from streams.domain.keys import holding_key, security_title_key
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from synthetic import scenarios as sc

KCG_TRUST = "submission/cjavdev__sec_edgar__spec__sec_edgar__filing19.txt"


@pytest.mark.parametrize(
    ("title", "keyed"),
    [
        ("Common Stock", "common stock"),
        ("Common Stock, par value $0.01 per share", "common stock"),
        ("Common Stock, $.01 Par Value", "common stock"),
        ("Common Stock, $1 2/3 par value", "common stock"),
        ("Common Stock (par value $0.0001 per share)", "common stock"),
        ("Class A Common Stock, par value $0.0001", "class a common stock"),
        ("Common Shares, no par value", "common shares"),
        ("Series A Preferred Stock, $0.001 par value per share", "series a preferred stock"),
        # What tells securities apart stays: the class, the issuer's name, the kind of share.
        ("Class B Common Stock", "class b common stock"),
        ("Penns Woods Bancorp, Inc. common stock", "penns woods bancorp, inc. common stock"),
        ("Units of Limited Partner Interest", "unit of limited partner interest"),
        # The number of the derivative's noun and the spacing around its parentheses tell nothing apart.
        ("Stock Options (Right to Buy)", "stock option (right to buy)"),
        ("Call Option(Right to Buy)", "call option (right to buy)"),
        ("Restricted Stock Units", "restricted stock unit"),
        ("Warrants to purchase Common Stock", "warrant to purchase common stock"),
        ("(Series A) Preferred", "(series a) preferred"),
        (None, "unknown"),
    ],
)
def test_a_title_is_keyed_without_its_par_value(title: str | None, keyed: str) -> None:
    assert security_title_key(title) == keyed


def _sale(title: str, shares: str, following: str, day: date, accession: str) -> Filing:
    row = sc.sale_row(shares, "40.00", following, day).model_copy(update={"security_title": title})
    return sc.filing(sc.DIRECTOR, [row], day, accession)


def test_sales_filed_under_two_wordings_of_one_title_are_one_holding() -> None:
    """9,000 left after the first sale, 8,500 after the second: one position of 8,500 whose rows follow,
    not a stale 9,000 beside it (the issuer's total would count the director's shares twice)."""
    ledger = Ledger(Stores(), Settings())
    for f in (
        _sale(
            "Common Stock, par value $0.01 per share",
            "1000",
            "9000",
            date(2024, 3, 4),
            "0000950170-24-000601",
        ),
        _sale("Common Stock", "500", "8500", date(2024, 4, 8), "0000950170-24-000602"),
    ):
        ledger.apply_now(to_parsed(f, to_events(f)))
    (position,) = ledger.s.positions.values()
    assert position.summary.shares == Decimal(8500)
    assert not position.summary.breaks and len(position.rows) == 2


def test_a_real_title_with_its_par_value_keys_as_the_plain_class(corpus: Path) -> None:
    """KCG: "Class A Common Stock, par value $0.01 per share" as filed, "class a common stock" as keyed."""
    filing = parse((corpus / KCG_TRUST).read_bytes())
    (first, *_) = to_events(filing)
    assert first.security_title == "Class A Common Stock, par value $0.01 per share"
    assert security_title_key(first.security_title) == "class a common stock"


def test_an_indirect_nature_keys_alike_with_or_without_its_closing_stop() -> None:
    """The corpus has "By Accel Investors 2009 L.L.C." and "By Accel Investors 2009 L.L.C" (one filer)."""
    keys = set()
    for nature in (
        "By Accel Investors 2009 L.L.C.",
        "by accel investors 2009 l.l.c",
        "By Accel Investors 2009 L.L.C ;",
    ):
        row = sc.sale_row("1", "1.00", "10", date(2024, 3, 4)).model_copy(
            update={"direct_indirect": "I", "nature_of_ownership": nature}
        )
        (event,) = to_events(sc.filing(sc.DIRECTOR, [row], date(2024, 3, 4), "0000950170-24-000603"))
        keys.add(holding_key(event).rsplit("|", 1)[1])
    assert keys == {"I:by accel investors 2009 l.l.c"}
