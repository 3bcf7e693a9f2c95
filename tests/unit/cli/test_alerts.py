"""The readable alert line of `form4 alerts tail` and the option wiring of the ops commands."""

from __future__ import annotations

from click.testing import CliRunner

from streams.cli import main
from streams.cli.alerts import format_alert

ALERT = {
    "kind": "alert_raised",
    "alert_id": "a1",
    "rule": "large_sale",
    "severity": "high",
    "issuer_cik": "0000320193",
    "ticker": "AAPL",
    "summary": "CEO Doe Jane sold 20,000 shares for $2,000,000 on the open market",
    "created_at": "2024-03-06T22:05:07.123456Z",
}


def test_line_has_time_kind_severity_rule_ticker_and_summary() -> None:
    """A raised alert reads: time to the second, ALERT, severity, rule, ticker, summary."""
    line = format_alert(ALERT)
    assert line.startswith("2024-03-06 22:05:07  ALERT")
    assert line.split()[3:6] == ["HIGH", "large_sale", "AAPL"]
    assert line.endswith(ALERT["summary"])


def test_retraction_is_marked_once_and_missing_ticker_falls_back_to_the_cik() -> None:
    """A retraction says RETRACTED in its kind column (not twice); no ticker shows the issuer CIK."""
    line = format_alert(
        ALERT | {"kind": "alert_retracted", "ticker": None, "summary": "RETRACTED: " + ALERT["summary"]}
    )
    assert line.split()[2] == "RETRACTED"
    assert line.count("RETRACTED") == 1
    assert "CIK 0000320193" in line


def test_bad_options_are_refused_before_kafka_is_touched() -> None:
    """An unknown rule or severity is a usage error (exit 2) from click."""
    runner = CliRunner()
    assert runner.invoke(main, ["alerts", "tail", "--rule", "nope"]).exit_code == 2
    assert runner.invoke(main, ["alerts", "tail", "--min-severity", "urgent"]).exit_code == 2
    assert runner.invoke(main, ["lag", "--watch", "0"]).exit_code == 2
