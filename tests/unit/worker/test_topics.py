"""Kafka headers on the worker's records: the contract name and the content type."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.domain.records import DeadLetter, WebhookDeadLetter
from streams.worker.topics import record_headers


def test_headers_name_the_contract_of_each_record() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    letter = DeadLetter(
        reason="malformed_xml",
        error="e",
        source_topic="t",
        source_partition=0,
        source_offset=1,
        original_b64="",
        original_size=0,
        failed_at=now,
    )
    webhook = WebhookDeadLetter(
        alert_id="a",
        subscriber="s",
        url="http://x",
        attempts=1,
        last_error="e",
        last_status=500,
        alert={},
        failed_at=now,
    )
    assert record_headers(letter.to_json()) == [
        ("schema", b"form4.dead_letter/1"),
        ("content-type", b"application/json"),
    ]
    assert dict(record_headers(webhook.to_json()))["schema"] == b"form4.webhook_dead_letter/1"


def test_a_value_that_is_not_one_of_our_records_gets_no_headers() -> None:
    """A raw filing forwarded by POST /filings is XML, SGML, HTML or text: no schema, no JSON type."""
    assert record_headers(b"<?xml version='1.0'?><ownershipDocument/>") == []
    assert record_headers(b'{"x": 1}') == []
