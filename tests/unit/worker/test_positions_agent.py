"""track_positions' handler in process: alerts out, the filing's marker only after Kafka's acks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from parsers import parse, to_events
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing, to_parsed
from streams.domain.records import DeadLetter
from streams.worker.agents.positions import TrackPositions
from streams.worker.metrics import metrics_in
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import AckFailed, RecordingSender, message, settle, unit_settings

SALE = ceo_sale_xml()  # the CEO sells $5M: one large_sale alert
ISSUER = b"0001234567"


def step(
    sender: RecordingSender,
    registry: CollectorRegistry,
    stores: Stores | None = None,
    clock: float = 0.0,
    **overrides: Any,
) -> TrackPositions:
    settings = unit_settings(**overrides)
    stores = Stores() if stores is None else stores
    return TrackPositions(
        settings=settings,
        ledger=Ledger(stores, settings),
        positions=stores.positions,
        send=sender,
        metrics=metrics_in(registry),
        clock=lambda: clock,
    )


def parsed(raw: bytes = SALE) -> bytes:
    return parsed_filing(raw, unit_settings()).to_json()


async def test_a_sale_sends_its_alert_keyed_by_its_id_and_counts_it(registry: CollectorRegistry) -> None:
    sender = RecordingSender()
    s = step(sender, registry)
    await s.handle_parsed(parsed(), message(parsed(), topic="form4.filings.parsed"))

    alerts = sender.on(s.settings.topic_alerts)
    # Keyed by the alert's id: its raise, retraction and any re-raise share a partition, in order.
    assert [(a.key, a.json()["rule"], a.json()["kind"]) for a in alerts] == [
        (alerts[0].json()["alert_id"].encode(), "large_sale", "alert_raised")
    ]
    assert len(sender.sent) == 1
    labels = {"rule": "large_sale", "severity": alerts[0].json()["severity"], "kind": "alert_raised"}
    assert registry.get_sample_value("form4_alerts_total", labels) == 1
    assert registry.get_sample_value("form4_positions_tracked") == 1
    assert registry.get_sample_value("form4_reconciliation_breaks_total") == 0


async def test_the_marker_waits_for_every_ack_so_a_failed_ack_redelivers_the_same_alerts(
    registry: CollectorRegistry,
) -> None:
    stores = Stores()
    failing = RecordingSender(acks="fail")
    with pytest.raises(AckFailed):
        await step(failing, registry, stores).handle_parsed(parsed(), message(parsed()))
    assert failing.sent, "the alert was sent"

    # No marker: the redelivered filing is applied again and sends the very same alert (same alert_id).
    retry = RecordingSender()
    await step(retry, registry, stores).handle_parsed(parsed(), message(parsed()))
    assert [s.json()["alert_id"] for s in retry.sent] == [s.json()["alert_id"] for s in failing.sent]
    assert registry.get_sample_value("form4_filings_duplicate_total", {"stage": "positions"}) is None

    # Marked done after the ack: a third delivery is a duplicate and sends nothing.
    again = RecordingSender()
    await step(again, registry, stores).handle_parsed(parsed(), message(parsed()))
    assert again.sent == []
    assert registry.get_sample_value("form4_filings_duplicate_total", {"stage": "positions"}) == 1


async def test_the_marker_is_not_written_while_an_ack_is_pending(registry: CollectorRegistry) -> None:
    stores = Stores()
    sender = RecordingSender(acks="manual")
    task = asyncio.create_task(step(sender, registry, stores).handle_parsed(parsed(), message(parsed())))
    await settle()
    assert len(sender.sent) == 1 and not task.done()
    probe = RecordingSender()
    # While Kafka has not answered, the filing is not done: another delivery would apply it again.
    assert not Ledger(stores, unit_settings()).apply(parsed_filing(SALE, unit_settings())).duplicate
    sender.resolve(0)
    await task
    await step(probe, registry, stores).handle_parsed(parsed(), message(parsed()))
    assert probe.sent == []


async def test_a_record_that_is_not_a_parsed_filing_is_dead_lettered_as_decode_error(
    registry: CollectorRegistry,
) -> None:
    sender = RecordingSender()
    stores = Stores()
    s = step(sender, registry, stores)
    raw = b'{"schema": "form4.parsed_filing/1", "filing_id": 12}'
    await s.handle_parsed(raw, message(raw, topic="t.parsed", key=ISSUER, offset=5))

    assert [x.topic for x in sender.sent] == [s.settings.topic_dlq]
    letter = DeadLetter.model_validate_json(sender.sent[0].value)
    assert letter.reason == "decode_error"
    assert letter.original() == raw
    assert (letter.source_topic, letter.source_offset, letter.source_key) == ("t.parsed", 5, ISSUER.decode())
    assert registry.get_sample_value("form4_dead_letters_total", {"reason": "decode_error"}) == 1
    assert not stores.positions and not stores.filings


async def test_breaks_and_latency_are_measured(registry: CollectorRegistry) -> None:
    sender = RecordingSender()
    stores = Stores()
    await step(sender, registry, stores).handle_parsed(parsed(), message(parsed()))
    # Next day, the CEO reports 1 share left after selling 100,000 of 400,000: a reconciliation break.
    filing = parse(ceo_sale_xml(following=1, day="2024-03-05"))
    later = to_parsed(filing, to_events(filing), source_timestamp_ms=1_000_000).to_json()
    await step(sender, registry, stores, clock=1_002.5).handle_parsed(later, message(later))

    assert registry.get_sample_value("form4_reconciliation_breaks_total") == 1
    assert registry.get_sample_value("form4_processing_latency_seconds_count") == 1
    assert registry.get_sample_value("form4_processing_latency_seconds_sum") == pytest.approx(2.5)
