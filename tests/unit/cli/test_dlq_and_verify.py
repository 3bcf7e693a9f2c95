"""`form4 dlq replay`'s choices, the readable alert line, and the standalone signature verifier."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from streams.adapters import webhook_verify_standalone as standalone
from streams.adapters.webhooks import sign, verify_signature
from streams.cli.alerts import alert_dates, created_since, format_alert, owner_matches, render_alert
from streams.cli.dlq import Letter, plan_replay, selected
from streams.config.settings import Settings
from streams.domain.records import DeadLetter
from tests.support.sales import ceo_sale_xml

SETTINGS = Settings(topic_raw="raw")


def letter(
    raw: bytes, reason: str = "malformed_xml", topic: str = "raw", key: str | None = "k1", offset: int = 0
) -> Letter:
    record = DeadLetter(
        reason=reason,
        error="boom",
        source_topic=topic,
        source_partition=0,
        source_offset=offset,
        source_key=key,
        original_b64=DeadLetter.encode_original(raw),
        original_size=len(raw),
        failed_at=datetime(2024, 3, 6, 12, tzinfo=UTC),
    )
    return Letter(record, 0, offset)


def test_replay_pushes_what_parses_now_once_keyed_as_the_original() -> None:
    good = ceo_sale_xml()
    letters = [
        letter(good, key="0000950170-24-000101"),
        letter(good, key="0000950170-24-000101", offset=1),  # the same bytes dead-lettered again
        letter(b"not a filing at all", reason="not_ownership_form", offset=2),
        letter(b"{}", reason="decode_error", topic="parsed", offset=3),
    ]
    plan = plan_replay(letters, SETTINGS, force=False)
    assert plan.push == [(b"0000950170-24-000101", good)]
    assert plan.repeats == 1
    assert [(item.record.source_offset, reason) for item, reason in plan.still_failing] == [
        (2, "not_ownership_form")
    ]
    assert [item.record.source_topic for item in plan.other_source] == ["parsed"]
    forced = plan_replay(letters, SETTINGS, force=True)
    assert [value for _, value in forced.push] == [good, b"not a filing at all"]


def test_reason_and_since_select_dead_letters() -> None:
    record = letter(b"x").record
    assert selected(record, frozenset(), None)
    assert selected(record, frozenset({"malformed_xml", "too_large"}), date(2024, 3, 6))
    assert not selected(record, frozenset({"too_large"}), None)
    assert not selected(record, frozenset(), date(2024, 3, 7))


ALERT = {
    "kind": "alert_raised",
    "rule": "cluster_selling",
    "severity": "critical",
    "issuer_cik": "0000320193",
    "ticker": "AAPL",
    "owners": [{"cik": "0001000001", "name": "Doe Jane", "role": "CEO"}],
    "figures": {"window_start": "2024-03-01", "window_end": "2024-03-14"},
    "summary": "3 insiders sold",
    "created_at": "2024-03-06T22:05:07Z",
}


def test_the_alert_line_shows_trade_and_filing_dates_and_the_terminal_one_is_coloured() -> None:
    assert alert_dates(ALERT) == ("2024-03-01..2024-03-14", "-")
    # The cluster window wins over the trade dates; the filing dates come from the record's own field.
    cluster = ALERT | {"transaction_dates": ["2024-03-02"], "filing_dates": ["2024-03-06", "2024-03-04"]}
    assert alert_dates(cluster) == ("2024-03-01..2024-03-14", "2024-03-04..2024-03-06")
    sale = ALERT | {"figures": {"value_usd": "1500000"}}
    one_day = sale | {"transaction_dates": ["2024-03-04", "2024-03-04"], "filing_dates": ["2024-03-06"]}
    assert alert_dates(one_day) == ("2024-03-04", "2024-03-06")
    days = sale | {"transaction_dates": ["2024-03-05", "2024-02-28", "2024-03-01"], "filing_dates": []}
    assert alert_dates(days) == ("2024-02-28..2024-03-05", "-")
    assert "filed 2024-03-06 " in format_alert(one_day) and "trade 2024-03-04 " in format_alert(one_day)
    line = format_alert(ALERT)
    assert "trade 2024-03-01..2024-03-14" in line and line.endswith("3 insiders sold")
    text = render_alert(ALERT)
    assert text.plain == line
    assert any("red" in str(span.style) for span in text.spans)
    retracted = render_alert(ALERT | {"kind": "alert_retracted"})
    assert any("strike" in str(span.style) for span in retracted.spans)


def test_owner_and_since_filters() -> None:
    assert owner_matches(ALERT, ()) and owner_matches(ALERT, ("1000001",)) and owner_matches(ALERT, ("doe",))
    assert not owner_matches(ALERT, ("0001000002", "smith"))
    assert created_since(ALERT, date(2024, 3, 6)) and not created_since(ALERT, date(2024, 3, 7))


SECRET = "whsec_test"
BODY = b'{"alert_id":"a1","schema":"form4.alert/1"}'
NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("header", "body", "now", "valid"),
    [
        (sign(SECRET, BODY, NOW), BODY, NOW, True),
        (sign(SECRET, BODY, NOW), BODY, NOW + 299, True),
        (sign(SECRET, BODY, NOW), BODY + b" ", NOW, False),  # tampered body
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, NOW, False),  # tampered time
        (sign("other", BODY, NOW), BODY, NOW, False),  # wrong secret
        (sign(SECRET, BODY, NOW), BODY, NOW + 301, False),  # expired
        (sign(SECRET, BODY, NOW), BODY, NOW - 301, False),  # from the future
        (f"{sign('old', BODY, NOW)},v1={sign(SECRET, BODY, NOW).rpartition('v1=')[2]}", BODY, NOW, True),
        ("", BODY, NOW, False),
        (None, BODY, NOW, False),
        ("t=abc,v1=00", BODY, NOW, False),
    ],
)
def test_the_standalone_verifier_agrees_with_the_worker(
    header: str | None, body: bytes, now: int, valid: bool
) -> None:
    assert verify_signature(SECRET, header, body, now=now) is valid
    assert standalone.verify(SECRET, header, body, now=now) is valid
    assert standalone.verify(SECRET.encode(), header, body, tolerance=300, now=now) is valid


def test_the_standalone_verifier_needs_only_the_standard_library() -> None:
    tree = ast.parse(Path(standalone.__file__).read_text())
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules
