"""parse_filings' handler in process: events out, the 'seen' marker only after Kafka's acks, dead letters."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from parsers import parse
from parsers.deadlines import filing_day
from parsers.identity import copy_rank
from streams.domain.records import DeadLetter
from streams.worker.agents.parse import ParseFilings
from streams.worker.metrics import metrics_in
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import FIXTURES, AckFailed, RecordingSender, message, settle, unit_settings

RICH = (FIXTURES / "form4_rich.xml").read_bytes()


def markers(raw: bytes, offset: int) -> dict[str, Any]:
    """What the seen table holds once ``raw`` was parsed at ``offset``: its id and its best copy."""
    filing = parse(raw)
    rank = copy_rank(
        filing.accession_number, filing.issuer.cik, filing_day(filing.filing_date, filing.filed_at)
    )
    return {filing.filing_id: offset, f"fingerprint:{filing.fingerprint}": [filing.filing_id, rank]}


def step(
    sender: RecordingSender, registry: CollectorRegistry, seen: dict[str, Any] | None = None, **overrides: Any
) -> ParseFilings:
    return ParseFilings(
        settings=unit_settings(**overrides),
        seen={} if seen is None else seen,
        send=sender,
        metrics=metrics_in(registry),
    )


async def test_a_filing_becomes_events_then_its_parsed_record_keyed_by_issuer(
    registry: CollectorRegistry,
) -> None:
    sender = RecordingSender()
    s = step(sender, registry)
    await s.handle_raw(RICH, message(RICH, offset=41))

    events = sender.on(s.settings.topic_transactions)
    parsed = sender.on(s.settings.topic_parsed)
    assert events and len(parsed) == 1
    # The parsed record goes last: track_positions never sees a filing whose events are not sent yet.
    assert sender.sent[-1] is parsed[0]
    record = parsed[0].json()
    assert {e.key for e in events} == {parsed[0].key} == {record["issuer_key"].encode()}
    assert [e.json()["event_id"] for e in events] == [e["event_id"] for e in record["events"]]
    assert record["source_timestamp_ms"] == 1_700_000_000_000
    assert s.seen == markers(RICH, 41)
    assert registry.get_sample_value("form4_filings_parsed_total", {"format": "xml"}) == 1
    assert registry.get_sample_value("form4_events_emitted_total") == len(events)


async def test_the_seen_marker_is_written_only_after_every_ack_resolved(registry: CollectorRegistry) -> None:
    sender = RecordingSender(acks="manual")
    s = step(sender, registry)
    task = asyncio.create_task(s.handle_raw(RICH, message(RICH)))
    await settle()
    assert len(sender.sent) >= 2, "every record is queued before the first ack is awaited"
    for index in range(len(sender.sent)):
        assert s.seen == {} and not task.done()
        sender.resolve(index)
        await settle()
    await task
    assert s.seen == markers(RICH, 7)


async def test_a_failed_ack_leaves_no_marker_and_a_redelivery_sends_the_same_events(
    registry: CollectorRegistry,
) -> None:
    failing = RecordingSender(acks="fail")
    seen: dict[str, Any] = {}
    with pytest.raises(AckFailed):
        await step(failing, registry, seen).handle_raw(RICH, message(RICH))
    assert seen == {}
    assert registry.get_sample_value("form4_filings_parsed_total", {"format": "xml"}) is None

    retry = RecordingSender()
    await step(retry, registry, seen).handle_raw(RICH, message(RICH))
    assert [s.value for s in retry.sent] == [s.value for s in failing.sent]
    assert seen == markers(RICH, 7)


async def test_a_filing_already_seen_sends_nothing_and_counts_a_duplicate(
    registry: CollectorRegistry,
) -> None:
    sender = RecordingSender()
    s = step(sender, registry, seen={parse(RICH).filing_id: 3})
    await s.handle_raw(RICH, message(RICH, offset=99))
    assert sender.sent == []
    assert s.seen == {parse(RICH).filing_id: 3}
    assert registry.get_sample_value("form4_filings_duplicate_total", {"stage": "parse"}) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\xff\xfe garbage", "bad_encoding"),
        (b"<html><body>Annual report 10-K</body></html>", None),
        (ceo_sale_xml() + b"<!--" + b"x" * 2048 + b"-->", "too_large"),
    ],
    ids=["bad_encoding", "not_a_filing", "over_max_filing_bytes"],
)
async def test_unparseable_input_is_dead_lettered_with_its_bytes_and_place(
    raw: bytes, reason: str | None, registry: CollectorRegistry
) -> None:
    sender = RecordingSender()
    s = step(sender, registry, max_filing_bytes=2048)
    await s.handle_raw(raw, message(raw, topic="form4.filings.raw", key=b"acc-1", offset=12))

    assert [x.topic for x in sender.sent] == [s.settings.topic_dlq]
    letter = DeadLetter.model_validate_json(sender.sent[0].value)
    assert sender.sent[0].key == b"acc-1"
    if reason:
        assert letter.reason == reason
    assert letter.original() == raw and letter.original_size == len(raw)
    assert (letter.source_topic, letter.source_partition, letter.source_offset, letter.source_key) == (
        "form4.filings.raw",
        1,
        12,
        "acc-1",
    )
    assert orjson.loads(sender.sent[0].value)["schema"] == "form4.dead_letter/1"
    assert registry.get_sample_value("form4_dead_letters_total", {"reason": letter.reason}) == 1
    assert s.seen == {}
