"""AlertFilter: the shared filter of `form4 alerts tail` and the webhook subscribers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from streams.config.subscribers import AlertFilter, WebhookSubscriber, alert_value


def _alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "form4.alert/1",
        "kind": "alert_raised",
        "alert_id": "a1",
        "rule": "large_sale",
        "severity": "high",
        "issuer_cik": "0000320193",
        "ticker": "AAPL",
        "figures": {"value_usd": "2500000.00", "window_sold_value_usd": None},
    }
    return base | overrides


def test_empty_filter_matches_everything() -> None:
    """A filter without conditions lets every alert through, retractions included."""
    assert AlertFilter().matches(_alert())
    assert AlertFilter().matches(_alert(kind="alert_retracted"))


def test_ticker_is_case_insensitive_and_issuer_ignores_zero_padding() -> None:
    """Tickers compare case-insensitively and CIKs compare with or without leading zeros."""
    assert AlertFilter(ticker=("aapl",)).matches(_alert())
    assert not AlertFilter(ticker=("MSFT",)).matches(_alert())
    assert AlertFilter(issuer=("320193",)).matches(_alert())
    assert not AlertFilter(issuer=("789019",)).matches(_alert())
    assert not AlertFilter(ticker=("AAPL",)).matches(_alert(ticker=None))


def test_several_values_are_alternatives_and_conditions_combine() -> None:
    """Values within a condition are ORed; different conditions are ANDed."""
    flt = AlertFilter(ticker=("MSFT", "AAPL"), rule=("large_sale", "liquidation"), min_severity="high")
    assert flt.matches(_alert())
    assert not flt.matches(_alert(rule="cluster_selling"))
    assert not flt.matches(_alert(severity="medium"))


@pytest.mark.parametrize(("severity", "passes"), [("low", False), ("medium", True), ("critical", True)])
def test_min_severity_uses_the_severity_order(severity: str, passes: bool) -> None:
    """min_severity=medium lets medium and above through, not low."""
    assert AlertFilter(min_severity="medium").matches(_alert(severity=severity)) is passes


def test_min_value_uses_the_sale_or_window_value() -> None:
    """min_value compares the alert's dollar value; a cluster uses its window value; no value never passes."""
    assert AlertFilter(min_value=Decimal(2_000_000)).matches(_alert())
    assert not AlertFilter(min_value=Decimal(3_000_000)).matches(_alert())
    cluster = _alert(rule="cluster_selling", figures={"value_usd": None, "window_sold_value_usd": "4000000"})
    assert alert_value(cluster) == Decimal(4_000_000)
    assert AlertFilter(min_value=Decimal(3_000_000)).matches(cluster)
    assert not AlertFilter(min_value=Decimal(1)).matches(_alert(figures={}))


def test_subscriber_accepts_single_values_and_rejects_bad_input() -> None:
    """A webhook entry takes one value or a list per condition.

    Unknown keys, rules and schemes are refused.
    """
    sub = WebhookSubscriber.model_validate(
        {"url": "https://hooks.example/x", "secret": "s", "ticker": "aapl", "min_value": 1000}
    )
    assert sub.ticker == ("AAPL",) and sub.min_value == Decimal(1000) and sub.label == "hooks.example"
    assert sub.matches(_alert())
    for bad in (
        {"url": "ftp://x", "secret": "s"},
        {"url": "http://x", "secret": "s", "rule": "nope"},
        {"url": "http://x", "secret": "s", "tickr": "AAPL"},
    ):
        with pytest.raises(ValidationError):
            WebhookSubscriber.model_validate(bad)


def test_describe_names_the_conditions() -> None:
    """describe() is a short readable summary of the conditions."""
    assert AlertFilter().describe() == "all alerts"
    assert AlertFilter(ticker=("aapl",), min_severity="high").describe() == "ticker=AAPL min_severity=high"
