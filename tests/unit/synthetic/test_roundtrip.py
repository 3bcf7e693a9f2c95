"""Render generated filings in every format and parse them back: the model must survive.

Each format is compared on what it carries (:func:`synthetic.views.view`). A failure shows the
seed, the stream position and the rendering's own diff, which is all that is needed to replay it.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import parse
from parsers.models import Filing, SourceFormat
from synthetic import generate, scenarios
from synthetic.batch import RENDERERS
from synthetic.views import parsed_view, view

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)
# Skipping into the stream reaches amendments, Form 5s and joint filers, not only first filings.
SKIPS = st.integers(min_value=0, max_value=150)
COUNTS = st.integers(min_value=1, max_value=3)


def _roundtrip(filing: Filing, fmt: SourceFormat) -> None:
    raw = RENDERERS[fmt](filing)
    parsed = parse(raw, hint=fmt)
    assert parsed.source_format == fmt
    assert parsed_view(parsed, fmt) == view(filing, fmt), f"{fmt} round trip of {filing.accession_number}"


def _check(seed: int, skip: int, count: int, fmt: SourceFormat) -> None:
    for filing in islice(generate(seed, skip + count), skip, None):
        _roundtrip(filing, fmt)


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, skip=SKIPS, count=COUNTS)
def test_xml_roundtrip(seed: int, skip: int, count: int) -> None:
    _check(seed, skip, count, "xml")


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, skip=SKIPS, count=COUNTS)
def test_submission_roundtrip(seed: int, skip: int, count: int) -> None:
    _check(seed, skip, count, "submission")


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, skip=SKIPS, count=COUNTS)
def test_html_roundtrip(seed: int, skip: int, count: int) -> None:
    _check(seed, skip, count, "html")


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, skip=SKIPS, count=COUNTS)
def test_text_roundtrip(seed: int, skip: int, count: int) -> None:
    _check(seed, skip, count, "text")


def _scenario_filings() -> list[Filing]:
    out = [
        scenarios.ceo_large_sale(),
        scenarios.director_30pct_sale(),
        scenarios.liquidation_to_zero(),
        scenarios.plan_sale(),
        scenarios.exercise_and_sell(),
        scenarios.late_filing(),
    ]
    return out + scenarios.cluster_of_sales() + list(scenarios.amended_smaller_sale())


@pytest.mark.parametrize("fmt", ["xml", "submission", "html", "text"])
@pytest.mark.parametrize("make", [_scenario_filings], ids=["scenarios"])
def test_scenarios_roundtrip(fmt: SourceFormat, make: Callable[[], list[Filing]]) -> None:
    for filing in make():
        _roundtrip(filing, fmt)


def test_text_without_footnotes() -> None:
    """Regression: a text rendering with no numbered footnote parsed into a bare ValueError."""
    _roundtrip(scenarios.ceo_large_sale(), "text")
