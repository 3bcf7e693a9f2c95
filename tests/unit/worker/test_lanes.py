"""The lanes controller without a broker: when the backfill lane is paused and resumed, and what it
never touches (live partitions, partitions someone else paused, partitions gone with a rebalance)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from aiokafka.errors import IllegalStateError
from aiokafka.structs import TopicPartition as TP
from faust.types import TP as FaustTP
from faust.types import Message
from prometheus_client import CollectorRegistry

from streams.config.settings import Settings
from streams.worker.app import create_app
from streams.worker.lanes import (
    FETCH_WAIT_MS,
    STUCK_SECONDS,
    KafkaConsumer,
    LaneController,
    Lanes,
    LiveAcks,
    Reading,
    TransitionLog,
    register,
    shorten_fetch_wait,
    steer,
    tick,
)
from tests.unit.worker.fakes import unit_settings

RAW, PARSED, BACKFILL, PARSED_BACKFILL, OTHER = "raw", "parsed", "backfill", "parsed.backfill", "changelog"
LANES = Lanes(live=frozenset({RAW, PARSED}), backfill=frozenset({BACKFILL, PARSED_BACKFILL}))


class FakeConsumer:
    """aiokafka's consumer as the controller sees it: per partition a highwater and a position."""

    def __init__(self, partitions: dict[TP, tuple[int | None, int]]) -> None:
        self.partitions = dict(partitions)
        self._paused: set[TP] = set()
        self.pause_calls: list[set[TP]] = []
        self.resume_calls: list[set[TP]] = []
        self.hang: set[TP] = set()
        """Partitions whose position never comes (aiokafka resetting it)."""
        self.revoked: set[TP] = set()
        """Partitions still listed by assignment() but revoked by the time position() is asked."""

    def assignment(self) -> set[TP]:
        return set(self.partitions)

    def highwater(self, partition: TP) -> int | None:
        return self.partitions[partition][0]

    async def position(self, partition: TP) -> int:
        if partition in self.revoked:
            raise IllegalStateError(f"Partition {partition} is not assigned")
        if partition in self.hang:
            await asyncio.Event().wait()
        return self.partitions[partition][1]

    def paused(self) -> set[TP]:
        return self._paused & set(self.partitions)

    def pause(self, *partitions: TP) -> None:
        self.pause_calls.append(set(partitions))
        self._paused |= set(partitions)

    def resume(self, *partitions: TP) -> None:
        self.resume_calls.append(set(partitions))
        self._paused -= set(partitions)

    def rebalance(self, partitions: dict[TP, tuple[int | None, int]]) -> None:
        """A new assignment: aiokafka makes fresh partition states, none of them paused."""
        self.partitions = dict(partitions)
        self._paused.clear()

    def lag(self, tp: TP, n: int) -> None:
        _, position = self.partitions[tp]
        self.partitions[tp] = (position + n, position)


def caught_up() -> dict[TP, tuple[int | None, int]]:
    """Two partitions of each topic, every one read to its end; backfill far behind its end is fine."""
    state: dict[TP, tuple[int | None, int]] = {}
    for topic in (RAW, PARSED, OTHER):
        for p in (0, 1):
            state[TP(topic, p)] = (10, 10)
    for topic in (BACKFILL, PARSED_BACKFILL):
        for p in (0, 1):
            state[TP(topic, p)] = (50_000, 100)
    return state


BACKFILL_TPS = {TP(t, p) for t in (BACKFILL, PARSED_BACKFILL) for p in (0, 1)}


async def check(consumer: FakeConsumer, ours: set[TP], timeout: float = 0.05) -> Reading:
    return await steer(cast(KafkaConsumer, consumer), LANES, ours, timeout)


async def test_live_lag_pauses_every_backfill_partition_and_catching_up_resumes_them() -> None:
    consumer, ours = FakeConsumer(caught_up()), set[TP]()
    reading = await check(consumer, ours)
    assert reading.live_lag == {} and reading.paused == frozenset()
    assert consumer.pause_calls == [] and consumer.resume_calls == []  # a backfill alone runs freely

    consumer.lag(TP(PARSED, 1), 3)
    reading = await check(consumer, ours)
    assert reading.live_lag == {TP(PARSED, 1): 3}
    assert reading.paused == BACKFILL_TPS == consumer.paused()  # both stages' backfill, every partition
    await check(consumer, ours)
    assert len(consumer.pause_calls) == 1  # already paused: not paused again

    consumer.partitions[TP(PARSED, 1)] = (13, 13)
    reading = await check(consumer, ours)
    assert reading.live_lag == {} and reading.paused == frozenset()
    assert consumer.resume_calls == [BACKFILL_TPS] and consumer.paused() == set()


async def test_only_what_it_paused_is_resumed_and_nothing_else_is_touched() -> None:
    consumer, ours = FakeConsumer(caught_up()), set[TP]()
    elsewhere = TP(BACKFILL, 0)
    consumer.pause(elsewhere)  # paused by someone else before the live lag came
    consumer.pause_calls.clear()
    consumer.lag(TP(RAW, 0), 1)
    await check(consumer, ours)
    assert consumer.pause_calls == [BACKFILL_TPS - {elsewhere}]
    consumer.lag(TP(RAW, 0), 0)
    await check(consumer, ours)
    assert consumer.resume_calls == [BACKFILL_TPS - {elsewhere}]
    assert consumer.paused() == {elsewhere}
    touched = set().union(*consumer.pause_calls, *consumer.resume_calls)
    assert {tp.topic for tp in touched} <= LANES.backfill  # live and changelog partitions never


async def test_a_partition_not_read_yet_or_whose_position_is_unknown_holds_nothing_back() -> None:
    state = caught_up()
    state[TP(RAW, 0)] = (None, 0)  # no fetch response yet: no highwater
    consumer, ours = FakeConsumer(state), set[TP]()
    consumer.lag(TP(RAW, 1), 5)
    consumer.hang.add(TP(RAW, 1))  # its position is being reset
    consumer.lag(TP(PARSED, 0), 2)
    consumer.revoked.add(TP(PARSED, 0))  # revoked between assignment() and position()
    reading = await asyncio.wait_for(check(consumer, ours, timeout=0.01), 5)
    assert reading.live_lag == {} and consumer.pause_calls == []


async def test_after_a_rebalance_the_new_assignment_is_paused_again_while_the_lag_lasts() -> None:
    consumer, ours = FakeConsumer(caught_up()), set[TP]()
    consumer.lag(TP(RAW, 0), 1)
    await check(consumer, ours)
    # Partition 1 of every topic moved to another worker; partition 0 came back unpaused.
    consumer.rebalance({tp: v for tp, v in consumer.partitions.items() if tp.partition == 0})
    reading = await check(consumer, ours)
    zero = {tp for tp in BACKFILL_TPS if tp.partition == 0}
    assert reading.paused == zero == consumer.paused() and ours == zero
    consumer.lag(TP(RAW, 0), 0)
    await check(consumer, ours)
    assert consumer.resume_calls == [zero]  # never the revoked partitions


async def test_the_controller_runs_the_check_in_the_consumer_thread_and_counts_pauses() -> None:
    consumer = FakeConsumer(caught_up())
    controller = LaneController(unit_settings(), LANES)
    ran: list[object] = []

    async def in_thread(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        ran.append(kafka)
        return await fun(kafka)

    for lag in (0, 2, 0, 1, 1, 0):
        consumer.lag(TP(RAW, 0), lag)
        await controller.check(cast(KafkaConsumer, consumer), in_thread)
        assert controller.paused is (lag > 0)
        assert controller.live_waiting is (lag > 0), "the agents set backfill records aside meanwhile"
    assert controller.pauses == 2 and ran == [consumer] * 6


async def test_nothing_is_checked_before_the_consumer_exists_or_while_rebalancing() -> None:
    controller = LaneController(unit_settings(), LANES)
    consumer = FakeConsumer(caught_up())
    consumer.lag(TP(RAW, 0), 1)
    calls: list[object] = []

    async def call_thread(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        calls.append(fun)
        return await fun(kafka)

    not_started = SimpleNamespace(rebalancing=False, consumer=SimpleNamespace(_thread=None))
    assert await tick(controller, cast(faust.App, not_started)) is None
    thread = SimpleNamespace(_consumer=consumer, call_thread=call_thread)
    rebalancing = SimpleNamespace(rebalancing=True, consumer=SimpleNamespace(_thread=thread))
    assert await tick(controller, cast(faust.App, rebalancing)) is None
    assert calls == [] and consumer.pause_calls == []
    ready = SimpleNamespace(rebalancing=False, consumer=SimpleNamespace(_thread=thread))
    reading = await tick(controller, cast(faust.App, ready))
    assert reading is not None and reading.paused == BACKFILL_TPS and len(calls) == 1


def test_transitions_are_logged_at_most_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    transitions = TransitionLog(every=10.0, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="streams.worker.lanes")
    lag = {TP(RAW, 0): 2}
    for second in range(12):  # a live filing a second: a pause and a resume each second
        now[0] = float(second)
        transitions.note(True, lag)
        now[0] = second + 0.5
        transitions.note(False, {})
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "backfill lane paused: live lag raw[0]=2",
        "backfill lane paused: live lag raw[0]=2 (19 more pauses and resumes since the last line)",
    ]


def test_the_worker_reads_each_lane_pair_through_one_bounded_source() -> None:
    settings = unit_settings(lanes_stream_buffer=64)
    worker = create_app(settings, CollectorRegistry())
    sources = {a.name.rsplit(".", 1)[-1]: a.channel for a in worker.agents}
    assert {name: tuple(c.topics) for name, c in sources.items()} == {
        "parse_filings": (settings.topic_raw, settings.topic_backfill),
        "track_positions": (settings.topic_parsed, settings.topic_parsed_backfill),
    }
    assert {c.maxsize for c in sources.values()} == {64}
    assert {c.clone(is_iterator=True).queue.maxsize for c in sources.values()} == {64}  # what agents read
    assert worker.app.conf.broker_max_poll_records == settings.lanes_fetch_records
    assert worker.lanes.lanes == Lanes.of(settings)
    assert worker.lanes.lanes.live == {settings.topic_raw, settings.topic_parsed}


async def test_the_backfill_topics_can_be_sent_to(monkeypatch: pytest.MonkeyPatch) -> None:
    settings: Settings = unit_settings()
    worker = create_app(settings, CollectorRegistry())
    sent: list[tuple[str, bytes | None, bytes, Any]] = []

    class Producer:
        async def send(self, topic: str, key: bytes | None, value: bytes, *rest: Any) -> Any:
            sent.append((topic, key, value, rest))
            return asyncio.get_running_loop().create_future()

    async def started() -> Any:
        return Producer()

    monkeypatch.setattr(worker.app, "maybe_start_producer", started)
    topics = worker.topics
    await topics.send(settings.topic_parsed_backfill, b"k", b'{"schema":"form4.parsed_filing/1"}')
    await topics.send(settings.topic_backfill, b"k", b"<x/>")
    assert sent == [
        (
            settings.topic_parsed_backfill,
            b"k",
            b'{"schema":"form4.parsed_filing/1"}',
            (None, None, [("schema", b"form4.parsed_filing/1"), ("content-type", b"application/json")]),
        ),
        (settings.topic_backfill, b"k", b"<x/>", (None, None, None)),  # a raw filing: no headers
    ]
    with pytest.raises(KeyError, match="not a topic of this worker"):
        topics.send("elsewhere", None, b"{}")


def finished(acks: LiveAcks, tp: TP, offset: int) -> None:
    """The agents finished the record at ``offset`` (Faust's on_message_out)."""
    acks.on_message_out(FaustTP(tp.topic, tp.partition), offset, cast(Message, None))


async def test_a_live_record_in_hand_holds_the_backfill_until_it_is_finished() -> None:
    """Lag is what is not processed yet: read but unfinished records count, so the ledger stage's
    buffer drains while the live filing is still being parsed."""
    consumer = FakeConsumer(caught_up())
    controller = LaneController(unit_settings(), LANES)
    acks = controller.acks
    raw = TP(RAW, 0)
    finished(acks, raw, 9)  # everything up to the end (10) was processed

    async def run(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        return await fun(kafka)

    kafka = cast(KafkaConsumer, consumer)
    consumer.partitions[raw] = (11, 11)  # a live record read, handed to the agent, not finished
    reading = await controller.check(kafka, run)
    assert reading.live_lag == {raw: 1} and reading.in_flight == {raw: 1} and controller.paused
    consumer.partitions[raw] = (13, 11)  # two more arrived, not read yet
    assert (await controller.check(kafka, run)).live_lag == {raw: 3}
    finished(acks, raw, 10)
    consumer.partitions[raw] = (13, 13)
    assert (await controller.check(kafka, run)).live_lag == {raw: 2} and controller.paused
    finished(acks, raw, 12)
    reading = await controller.check(kafka, run)
    assert reading.live_lag == {} and not controller.paused and consumer.paused() == set()


async def test_offsets_finished_before_a_rebalance_are_forgotten() -> None:
    controller = LaneController(unit_settings(), LANES)
    finished(controller.acks, TP(RAW, 0), 4)
    assert controller.acks.done == {(RAW, 0): 5}
    controller.acks.on_rebalance_start(cast(faust.App, None))
    assert controller.acks.done == {}
    finished(controller.acks, TP(OTHER, 0), 4)  # not a live topic: not watched
    finished(controller.acks, TP(PARSED, 1), 7)
    finished(controller.acks, TP(PARSED, 1), 3)  # an older one finishing late moves nothing back
    assert controller.acks.done == {(PARSED, 1): 8}


async def test_records_stuck_in_hand_stop_holding_the_backfill(caplog: pytest.LogCaptureFixture) -> None:
    """A gap in the offsets (say a transaction marker) looks like a record never finished: after
    STUCK_SECONDS without progress it no longer holds the backfill lane back."""
    now = [0.0]
    consumer = FakeConsumer(caught_up())
    controller = LaneController(unit_settings(), LANES, clock=lambda: now[0])
    raw = TP(RAW, 1)
    finished(controller.acks, raw, 9)
    consumer.partitions[raw] = (11, 11)  # offset 10 is never finished

    async def run(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        return await fun(kafka)

    kafka = cast(KafkaConsumer, consumer)
    for t in (0.0, 10.0, STUCK_SECONDS):
        now[0] = t
        await controller.check(kafka, run)
        assert controller.paused
    now[0] = STUCK_SECONDS + 1
    await controller.check(kafka, run)  # noticed: distrusted from the next check on
    assert "no longer holding the backfill lane" in caplog.text
    assert not (await controller.check(kafka, run)).paused
    consumer.partitions[raw] = (13, 13)  # progress again: trusted again
    finished(controller.acks, raw, 11)
    assert (await controller.check(kafka, run)).live_lag == {raw: 1}


async def test_the_fetch_wait_is_cut_so_a_resumed_partition_is_fetched_soon() -> None:
    """Faust's 1.5 s fetch long poll would hold a resumed backfill partition back that long."""
    consumer = FakeConsumer(caught_up())
    consumer._fetcher = SimpleNamespace(_fetch_max_wait_ms=1500)  # type: ignore[attr-defined]
    controller = LaneController(unit_settings(), LANES)

    async def run(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        return await fun(kafka)

    await controller.check(cast(KafkaConsumer, consumer), run)
    assert consumer._fetcher._fetch_max_wait_ms == FETCH_WAIT_MS  # type: ignore[attr-defined]
    shorter = SimpleNamespace(_fetch_max_wait_ms=20)
    shorten_fetch_wait(SimpleNamespace(_fetcher=shorter))
    assert shorter._fetch_max_wait_ms == 20  # never lengthened
    shorten_fetch_wait(object())  # not an aiokafka consumer: nothing to do


async def test_a_stopping_worker_ends_the_lanes_task_without_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On SIGTERM Faust closes its consumer thread's loop while the task may be mid-check: that is the
    worker stopping, not a failed check (it was logged as an ERROR with a traceback on every stop)."""

    class ClosedLoop:
        def is_closed(self) -> bool:
            return True

    async def call_thread(fun: Callable[..., Awaitable[Reading]], kafka: KafkaConsumer) -> Reading:
        raise RuntimeError("Event loop is closed")

    thread = SimpleNamespace(
        _consumer=FakeConsumer(caught_up()),
        call_thread=call_thread,
        should_stop=False,
        thread_loop=ClosedLoop(),
    )
    tasks: list[Callable[[], Awaitable[None]]] = []
    app = SimpleNamespace(
        rebalancing=False,
        should_stop=False,
        consumer=SimpleNamespace(_thread=thread),
        sensors=SimpleNamespace(add=lambda sensor: None),
        task=tasks.append,
    )
    register(cast(faust.App, app), unit_settings())
    with caplog.at_level(logging.ERROR, logger="streams.worker.lanes"):
        await asyncio.wait_for(tasks[0](), timeout=5)
    assert not caplog.records
