"""Batches (issue 12): one acknowledgement wait per batch, state written once per key after it.

The never-lose rule holds per batch: until Kafka acknowledged every record a batch sends, nothing of it
reaches a table (a failure leaves the state as before the batch, to be redelivered and handled again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from faust.types import EventT, Message
from faust.types.tuples import ConsumerMessage
from prometheus_client import CollectorRegistry

from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.worker.agents.parse import ParseFilings
from streams.worker.agents.positions import TrackPositions
from streams.worker.app import faust_app
from streams.worker.batch import (
    LEDGER_MARKERS,
    BatchState,
    Handoff,
    Outbox,
    WriteBack,
    acked_only_if_done,
    reader,
    settle_and_write,
)
from streams.worker.metrics import metrics_in
from streams.worker.poison import PoisonGuard
from streams.worker.tables import create_tables
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import AckFailed, RecordingSender, message, settle, unit_settings
from tests.unit.worker.test_state_codecs import _records, _stores

SETTINGS = unit_settings()


class CountingTable(dict[str, Any]):
    """A table that counts writes, as each Faust table write costs one changelog record."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)


class FakeEvent:
    """The two attributes of a Faust event the handlers read."""

    def __init__(self, value: bytes, msg: Message) -> None:
        self.value, self.message = value, msg


def events(values: Sequence[bytes], topic: str) -> list[EventT[bytes]]:
    return [FakeEvent(v, message(v, topic=topic, offset=i)) for i, v in enumerate(values)]  # type: ignore[misc]


class Died(Exception):
    pass


def guard(stage: Any, sender: RecordingSender, registry: CollectorRegistry) -> PoisonGuard:
    def die(consumed: Any, exc: BaseException) -> None:
        raise Died(f"{consumed.topic}@{consumed.offset}: {exc}")

    return PoisonGuard(stage, SETTINGS, sender, metrics_in(registry), die=die)


def test_reads_see_the_batch_writes_and_the_table_gets_each_key_once() -> None:
    table = CountingTable()
    table["kept"] = 1
    view: WriteBack[int] = WriteBack(table)
    view["a"] = 1
    view["a"] = 2
    view["b"] = 3
    del view["b"]
    del view["kept"]
    assert (view.get("a"), view.get("b"), "kept" in view, sorted(view)) == (2, None, False, ["a"])
    assert table == {"kept": 1} and table.writes == 1, "nothing reaches the table before the flush"
    assert view.flush() == 3
    assert table == {"a": 2} and table.writes == 1 + 2, (
        "a write for 'a', a delete for 'kept'; 'b' never existed"
    )
    view["c"] = 4
    view.discard()
    assert "c" not in view and "c" not in table
    with pytest.raises(KeyError):
        del view["missing"]


async def test_an_outbox_waits_for_every_ack_and_raises_the_first_failure() -> None:
    sender = RecordingSender(acks="manual")
    outbox = Outbox(sender)
    ran: list[str] = []
    for i in range(3):
        await outbox.put("t", None, b"%d" % i)
    outbox.then(lambda: ran.append("done"))
    waiting = asyncio.create_task(outbox.settle())
    await settle()
    assert not waiting.done()
    sender.sent[1].ack.set_exception(AckFailed("1"))
    sender.resolve(0)
    await settle()
    assert not waiting.done(), "the third acknowledgement is still awaited"
    sender.resolve(2)
    with pytest.raises(AckFailed):
        await waiting
    assert ran == [], "what follows a batch runs only when the caller says it is done"
    outbox.done()
    assert ran == ["done"]


async def test_a_parse_batch_writes_its_markers_once_after_every_ack(registry: CollectorRegistry) -> None:
    raws = [render_submission(f) for f in generate(3, 20)]
    sender, seen = RecordingSender(acks="manual"), CountingTable()
    step = ParseFilings(settings=SETTINGS, seen=seen, send=sender, metrics=metrics_in(registry))
    batch = events([*raws, raws[0]], SETTINGS.topic_raw)  # the same filing twice in one batch
    task = asyncio.create_task(step.handle_batch(batch, guard("parse", sender, registry)))
    await settle()
    parsed = sender.on(SETTINGS.topic_parsed)
    assert len(parsed) == 20, "the second copy in the batch saw the first one's marker"
    assert seen == {} and registry.get_sample_value("form4_filings_parsed_total", {"format": "xml"}) is None
    for i in range(len(sender.sent)):
        sender.resolve(i)
    await task
    assert len(seen) == seen.writes, "one write per key"
    assert len([k for k in seen if not k.startswith("fingerprint:")]) == 20
    assert registry.get_sample_value("form4_filings_parsed_total", {"format": "submission"}) == 20


async def test_a_failed_ack_leaves_a_batch_unwritten_and_stops(registry: CollectorRegistry) -> None:
    raws = [render_submission(f) for f in generate(4, 5)]
    sender, seen = RecordingSender(acks="fail"), CountingTable()
    step = ParseFilings(settings=SETTINGS, seen=seen, send=sender, metrics=metrics_in(registry))
    with pytest.raises(Died, match=f"{SETTINGS.topic_raw}@4"):
        await step.handle_batch(events(raws, SETTINGS.topic_raw), guard("parse", sender, registry))
    assert seen == {} and seen.writes == 0
    # Redelivered after the restart: every filing is parsed and sent again, with the same ids.
    retry = RecordingSender()
    again = ParseFilings(settings=SETTINGS, seen=seen, send=retry, metrics=metrics_in(registry))
    await again.handle_batch(events(raws, SETTINGS.topic_raw), guard("parse", retry, registry))
    assert [s.value for s in retry.sent] == [s.value for s in sender.sent]


async def test_a_backfill_filing_stays_in_the_backfill_lane(registry: CollectorRegistry) -> None:
    raw = render_submission(next(iter(generate(5, 1))))
    sender = RecordingSender()
    step = ParseFilings(settings=SETTINGS, seen={}, send=sender, metrics=metrics_in(registry))
    await step.handle_batch(events([raw], SETTINGS.topic_backfill), guard("parse", sender, registry))
    assert len(sender.on(SETTINGS.topic_parsed_backfill)) == 1
    assert sender.on(SETTINGS.topic_parsed) == []


async def test_a_positions_batch_sends_its_alerts_then_writes_each_key_once(
    registry: CollectorRegistry,
) -> None:
    sale = parsed_filing(ceo_sale_xml(), SETTINGS).to_json()
    stores = Stores(**{name: CountingTable() for name in Stores.__dataclass_fields__})
    sender = RecordingSender(acks="manual")
    step = TrackPositions(
        settings=SETTINGS,
        ledger=Ledger(stores, SETTINGS),
        positions=stores.positions,
        send=sender,
        metrics=metrics_in(registry),
    )
    task = asyncio.create_task(
        step.handle_batch(
            events([sale, sale, sale], SETTINGS.topic_parsed), guard("positions", sender, registry)
        )
    )
    await settle()
    assert [s.json()["kind"] for s in sender.on(SETTINGS.topic_alerts)] == ["alert_raised"], (
        "once, not thrice"
    )
    assert all(len(t) == 0 for t in vars(stores).values()), "no state before the acknowledgement"
    sender.resolve(0)
    await task
    tables: list[CountingTable] = list(vars(stores).values())
    assert all(t.writes == len(t) for t in tables), "one write per changed key"
    assert len(stores.filings) >= 1 and len(stores.positions) == 1
    assert registry.get_sample_value("form4_filings_duplicate_total", {"stage": "positions"}) == 2


def test_a_batch_state_covers_every_store_of_the_ledger() -> None:
    state = BatchState.over_stores(Stores())
    assert set(state.views) == set(Stores.__dataclass_fields__)
    assert all(isinstance(v, WriteBack) for v in vars(state.stores()).values())


async def test_the_handoff_saves_a_validation_and_never_changes_what_is_applied(
    registry: CollectorRegistry,
) -> None:
    record = parsed_filing(ceo_sale_xml(), SETTINGS)
    value = record.to_json()
    handoff = Handoff(2)
    handoff.put(value, record)
    handoff.put(b"a", record)
    handoff.put(b"b", record)
    assert len(handoff) == 2 and handoff.take(value) is None, "the oldest went first"
    handoff.put(value, record)
    stores, sender = Stores(), RecordingSender()
    step = TrackPositions(
        settings=SETTINGS,
        ledger=Ledger(stores, SETTINGS),
        positions=stores.positions,
        send=sender,
        metrics=metrics_in(registry),
        handoff=handoff,
    )
    await step.handle_parsed(value, message(value, topic=SETTINGS.topic_parsed))
    assert handoff.hits == 1 and handoff.take(value) is None, "taken once"
    # The same bytes without the handoff (another worker, a redelivery) apply the same way.
    other, other_sender = Stores(), RecordingSender()
    plain = TrackPositions(
        settings=SETTINGS,
        ledger=Ledger(other, SETTINGS),
        positions=other.positions,
        send=other_sender,
        metrics=metrics_in(CollectorRegistry()),
    )
    await plain.handle_parsed(value, message(value, topic=SETTINGS.topic_parsed))
    assert dict(stores.positions) == dict(other.positions)
    assert [s.value for s in sender.sent] != [] and len(sender.sent) == len(other_sender.sent)


class Recorder(dict[str, Any]):
    """A table that writes down, in one shared log, when each of its keys was written."""

    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__()
        self.name, self.log = name, log

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.append(self.name)
        super().__setitem__(key, value)


async def test_the_done_markers_are_written_after_the_barrier_and_the_rest_before_it() -> None:
    # Found by the SIGKILL test: a marker in Kafka without the position it stands for makes the
    # redelivered filing a "duplicate", and the position is lost. The markers wait for the barrier.
    log: list[str] = []
    stores = Stores(**{name: Recorder(name, log) for name in Stores.__dataclass_fields__})
    state = BatchState.over_stores(stores)
    for name, view in state.views.items():
        view["k"] = name

    async def barrier() -> None:
        log.append("barrier")

    await settle_and_write(Outbox(RecordingSender()), state, barrier)
    cut = log.index("barrier")
    assert set(log[:cut]) == set(Stores.__dataclass_fields__) - LEDGER_MARKERS
    assert set(log[cut + 1 :]) == LEDGER_MARKERS


async def test_a_failed_barrier_leaves_the_state_written_and_the_markers_not() -> None:
    # The state without its markers is safe: the redelivered filing is applied again, and re-applying
    # changes nothing already applied. The failure stops the agent (raised).
    stores = Stores()
    state = BatchState.over_stores(stores)
    state.views["positions"]["p"] = "position"
    state.views["filings"]["f"] = "done"

    async def barrier() -> None:
        raise AckFailed("broker gone")

    with pytest.raises(AckFailed):
        await settle_and_write(Outbox(RecordingSender()), state, barrier)
    assert dict(stores.positions) == {"p": "position"}
    assert dict(stores.filings) == {}


def parsed_message(partition: int) -> Message:
    return message(b"v", topic="parsed", key=b"k", offset=1, partition=partition)


async def test_writes_of_a_partition_revoked_during_the_batch_are_dropped_the_rest_written() -> None:
    # A rebalance took partition 2 of the parsed topic while the batch was in hand: its new owner handles
    # those records again, and our late writes would land in a changelog it already read.
    stores = Stores()
    state = BatchState.over_stores(stores)
    ours, revoked = parsed_message(1), parsed_message(2)
    for msg, key in ((ours, "kept"), (revoked, "lost")):
        with state.handling(FakeEvent(b"v", msg)):  # type: ignore[arg-type]
            state.views["positions"][key] = f"position {key}"
            state.views["filings"][key] = "done"

    async def barrier() -> None:
        return None

    await settle_and_write(Outbox(RecordingSender()), state, barrier, assigned=lambda: {ours.tp})
    assert dict(stores.positions) == {"kept": "position kept"}
    assert dict(stores.filings) == {"kept": "done"}
    assert all(not view.pending for view in state.views.values())


class AckingConsumer:
    """Faust's consumer as ``Message.ack`` reaches it: the offsets it would commit."""

    def __init__(self) -> None:
        self.acked: list[int] = []
        self._unacked_messages: set[Message] = set()

    def ack(self, msg: Message) -> bool:
        self.acked.append(msg.offset)
        return True


def consumer_events(values: Sequence[bytes]) -> list[EventT[bytes]]:
    """Events over Faust's ConsumerMessage: its final ack goes to the consumer, as in the worker."""
    out = []
    for i, v in enumerate(values):
        msg = message(v, topic="parsed", offset=i)
        out.append(FakeEvent(v, ConsumerMessage(**{k: getattr(msg, k) for k in MESSAGE_FIELDS})))
    return out  # type: ignore[return-value]


MESSAGE_FIELDS = (
    "topic",
    "partition",
    "offset",
    "timestamp",
    "timestamp_type",
    "headers",
    "key",
    "value",
    "checksum",
)


async def test_a_batch_cancelled_mid_way_is_never_acknowledged_a_finished_one_is() -> None:
    # take_events acknowledges a batch in a finally, also when the agent is cancelled (a graceful stop):
    # that would commit records whose state was never written.
    consumer = AckingConsumer()
    batch = consumer_events([b"a", b"b"])
    consumer._unacked_messages.update(e.message for e in batch)
    with pytest.raises(asyncio.CancelledError), acked_only_if_done(consumer, batch):
        raise asyncio.CancelledError
    for event in batch:  # what take_events' finally does
        event.message.ack(consumer)  # type: ignore[arg-type]
    assert consumer.acked == []
    assert consumer._unacked_messages == set()

    done = consumer_events([b"c"])
    with acked_only_if_done(consumer, done):
        pass
    done[0].message.ack(consumer)  # type: ignore[arg-type]
    assert consumer.acked == [0]  # the finished batch's one record (offset 0)


@pytest.mark.parametrize("store", ["memory://", "compact://"])
def test_a_view_reads_an_in_memory_table_through_its_store_what_the_table_holds(store: str) -> None:
    settings = unit_settings(store=store)
    table: Any = create_tables(faust_app(settings), settings).ledger.positions
    records = _records(_stores(), "positions")
    table.data["held"] = records[0]  # what a table write stores, less its changelog record
    sensed: list[str] = []
    table.on_key_get = sensed.append  # Faust's per-read sensor hook
    view = WriteBack(table)
    assert view.read is not table.get, "the store's own mapping, not the table"
    assert view.get("held") == records[0] == table.get("held")
    assert view.get("absent") is None and view.get("absent", 7) == 7
    assert "held" in view and "absent" not in view
    assert sensed == ["held"], "only the direct table read went through Faust's sensor hook"
    # Anything else (RocksDB's store, a dict) is read through its own get.
    plain: dict[str, Any] = {"k": 1}
    assert reader(plain) == plain.get
