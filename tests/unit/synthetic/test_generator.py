"""The synthetic generator: determinism, coverage of the domain, and consistent running positions."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import pytest

from parsers.models import Filing, Row
from synthetic import generate
from synthetic.generator import PLAN_CHECKBOX_FROM

ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")


@cache
def stream() -> tuple[Filing, ...]:
    return tuple(generate(11, 2000))


def test_same_seed_same_stream() -> None:
    assert list(generate(5, 200)) == list(generate(5, 200))


def test_other_seed_other_stream() -> None:
    assert list(generate(5, 50)) != list(generate(6, 50))


def test_covers_every_transaction_code_and_feature() -> None:
    filings = stream()
    rows = [r for f in filings for r in f.rows]
    codes = {r.transaction_code for r in rows if not r.is_holding}
    assert codes >= set("PSADFIMCEHOXGLWZJU")
    assert any(r.equity_swap for r in rows), "K: equity swap"
    assert any(
        r.timeliness == "E" and r.transaction_form_type == "5"
        for f in filings
        if f.form_type == "4"
        for r in f.rows
    ), "V"
    assert any(r.timeliness == "L" for r in rows)
    forms = Counter(f.form_type for f in filings)
    assert forms["3"] and forms["4"] and forms["4/A"] and forms["5"]
    assert any(len(f.owners) >= 3 for f in filings) and any(len(f.owners) == 2 for f in filings)
    assert any(r.is_holding for r in rows) and any(r.table == "derivative" and r.is_holding for r in rows)
    assert any(r.total_value is not None for r in rows) and any(
        r.value_owned_following is not None for r in rows
    )
    assert any(r.nature_of_ownership for r in rows)
    assert any(r.plan_10b5_1 and r.plan_adoption_date for r in rows)
    assert any(r.plan_10b5_1 is False for r in rows)
    assert any(r.price_per_share is None and r.footnotes.get("price_per_share") for r in rows), (
        "footnote-only price"
    )
    assert any(
        r.conversion_or_exercise_price is None and r.footnotes.get("conversion_or_exercise_price")
        for r in rows
    )
    assert any("weighted average" in t for f in filings for t in f.footnotes.values())
    assert any(f.no_securities_owned for f in filings)
    assert any(r.shares is not None and r.shares != r.shares.to_integral_value() for r in rows), (
        "fractional shares"
    )


def test_exercise_and_sell_pairs() -> None:
    found = 0
    for f in stream():
        t1 = [r for r in f.rows if r.table == "non_derivative"]
        t2 = [r for r in f.rows if r.table == "derivative"]
        for m in (r for r in t2 if r.transaction_code == "M" and r.security_title.startswith("Stock Option")):  # type: ignore[union-attr]
            acquired = [
                r for r in t1 if r.transaction_code == "M" and r.transaction_date == m.transaction_date
            ]
            sold = [r for r in t1 if r.transaction_code == "S" and r.transaction_date == m.transaction_date]
            assert acquired and acquired[0].shares == m.shares == m.underlying_shares
            found += bool(sold)
    assert found > 10


def test_values_are_well_formed() -> None:
    for f in stream():
        assert f.accession_number and ACCESSION.fullmatch(f.accession_number)
        assert f.filed_at is not None and f.filed_at.tzinfo is not None
        assert str(f.filed_at.tzinfo) == "America/New_York"
        assert f.filing_date == f.filed_at.date() and f.filed_at.weekday() < 5
        assert f.issuer.cik.isdigit() and len(f.issuer.cik) == 10
        assert len({o.cik for o in f.owners}) == len(f.owners)
        if f.form_type in ("4", "4/A", "5") and f.filing_date >= PLAN_CHECKBOX_FROM:
            assert f.aff10b5_one is not None
        else:
            assert f.aff10b5_one is None
        if f.is_amendment:
            assert f.date_of_original_submission is not None
        for r in f.rows:
            for value in (
                r.shares,
                r.price_per_share,
                r.shares_owned_following,
                r.conversion_or_exercise_price,
            ):
                assert value is None or (value >= 0 and -value.as_tuple().exponent <= 4)  # type: ignore[operator]
            for ids in r.footnotes.values():
                assert set(ids) <= set(f.footnotes.values())


def test_filed_one_or_two_business_days_after_the_trade_mostly() -> None:
    lags = Counter()
    for f in stream():
        if f.form_type != "4":
            continue
        last = max(r.transaction_date for r in f.rows if r.transaction_date)
        days = sum(
            1
            for k in range(1, (f.filing_date - last).days + 1)  # type: ignore[operator]
            if date.fromordinal(last.toordinal() + k).weekday() < 5
        )
        lags["on time" if days <= 2 else "late"] += 1
    assert lags["late"] > 0 and lags["on time"] > 10 * lags["late"]


def _amount(row: Row) -> Decimal:
    return row.shares if row.shares is not None else row.total_value  # type: ignore[return-value]


def _following(f: Filing, row: Row) -> Decimal | None:
    if f.form_type.startswith("3") and row.table == "derivative":
        return row.underlying_shares if row.underlying_shares is not None else row.underlying_value
    return row.shares_owned_following if row.shares_owned_following is not None else row.value_owned_following


def test_owned_following_chain_is_consistent() -> None:
    """Per owner group, security and holding: prior +/- transaction == reported following.

    An amendment replaces the group's previous filing: the chain restarts from before it, in the
    tables it restates (a partial amendment leaves the other table's lines standing).
    """
    state: dict[tuple[object, ...], Decimal] = {}
    before: dict[tuple[str, ...], dict[tuple[object, ...], Decimal]] = {}
    checked = 0
    for f in generate(23, 3000):
        group = tuple(o.cik or "" for o in f.owners)
        mine = {k: v for k, v in state.items() if k[1] == group}
        if f.form_type == "4/A":
            restated = {r.table for r in f.rows}
            for k in mine:
                if k[2] in restated:
                    del state[k]
            state.update({k: v for k, v in before[group].items() if k[2] in restated})
        else:
            before[group] = mine
        for r in f.rows:
            key = (
                f.issuer.cik,
                group,
                r.table,
                r.security_title,
                r.nature_of_ownership or "D",
                r.conversion_or_exercise_price,
                r.expiration_date,
            )
            following = _following(f, r)
            assert following is not None and following >= 0
            if key in state:
                expected = (
                    state[key]
                    if r.is_holding
                    else (state[key] + _amount(r) if r.acquired_disposed == "A" else state[key] - _amount(r))
                )
                assert following == expected, (f.accession_number, r)
                checked += 1
            state[key] = following
    assert checked > 2000


def test_amendment_restates_an_earlier_filing_of_the_same_owners() -> None:
    """Each 4/A restates a Form 4 of its owners filed on the date it names, as amendments are really
    filed (issue 10): all of it, one table of it, or all of it with corrected transaction dates; some
    name the original's accession number. Some Forms 4 come in two parts filed together."""
    filings = stream()
    originals: dict[tuple[object, ...], list[Filing]] = {}
    kinds: Counter[str] = Counter()
    for a in filings:
        key = (a.issuer.cik, tuple(o.cik for o in a.owners))
        if a.form_type == "4":
            originals.setdefault((*key, a.filing_date), []).append(a)
        if a.form_type != "4/A":
            continue
        # The group's latest Form 4 filed on the date the amendment names, or the one it names.
        candidates = originals[(*key, a.date_of_original_submission)]
        named = [o for o in candidates if o.accession_number and o.accession_number in (a.remarks or "")]
        original = named[0] if named else candidates[-1]
        assert a.rows != original.rows
        if {r.table for r in a.rows} < {r.table for r in original.rows}:
            kinds["partial"] += 1
            assert len(a.rows) < len(original.rows)
        elif a.period_of_report != original.period_of_report:
            kinds["date corrected"] += 1
            assert original.period_of_report is not None
            assert a.period_of_report == original.period_of_report - timedelta(days=1)
        else:
            kinds["complete"] += 1
            assert len(a.rows) == len(original.rows)
        kinds["naming the original"] += bool(named)
    parts = Counter(f.remarks.split("Filing ")[-1] for f in filings if f.remarks and "Filing " in f.remarks)
    assert min(kinds[k] for k in ("partial", "date corrected", "complete", "naming the original")) > 0, kinds
    assert parts["1 of 2"] == parts["2 of 2"] > 0


@pytest.mark.parametrize("n", [0, 1, 7])
def test_any_volume(n: int) -> None:
    assert len(list(generate(3, n))) == n
