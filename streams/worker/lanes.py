"""Live and backfill lanes (issue 12): a live filing overtakes a backfill.

A backfill (``form4 push --backfill``, ``form4 edgar backfill``) comes in on its own topics
(``topic_backfill`` raw, ``topic_parsed_backfill`` parsed), read by the same agents as the live ones
(``topic_raw``, ``topic_parsed``). Every ``lanes_check_seconds`` the :class:`LaneController` looks at
the live partitions assigned to this worker: while any of them has lag, records not processed yet,
the backfill partitions are paused; once the live lane is caught up they are resumed. A live filing
then waits only for the backfill records the worker had already read: the agents' stream buffer
(``lanes_stream_buffer``) and the batch in hand, in the parse stage; the ledger stage's buffer
drains meanwhile, since no backfill comes in until the live filing has been through both stages.

The lag is the worker's own view, no broker round trip per check: a partition's highwater (from the
last fetch response) minus the offset after the last record the agents finished with (Faust's
``on_message_out`` sensor hook, see :class:`LiveAcks`), or minus the consumer's position until one
has been finished since the partition was assigned.

Why pause in aiokafka, in the consumer's thread, rather than with Faust's ``pause_partitions``:
Faust's pause only takes a partition out of the set its fetcher hands on, and records of that
partition already fetched in the same ``getmany`` are then dropped after aiokafka advanced past them;
the next record read after a resume makes that a gap, which Faust commits as done (filings lost).
aiokafka's own pause discards what it prefetched for the partition *without* advancing its position,
so a resume fetches the same records again. Faust never pauses in aiokafka (its recovery and flow
control use their own sets), so resuming what we paused there never undoes a pause of Faust's.
A resumed partition is fetched only once the fetch request in flight returns, and while the backfill
is paused that request is a long poll of idle live partitions (Faust asks for 1.5 s): measured, a
resume then waited 0.9 s for its first record, 25 ms with the wait cut to :data:`FETCH_WAIT_MS`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import faust
from aiokafka.errors import IllegalStateError
from aiokafka.structs import TopicPartition
from faust.types import TP, AppT, Message

from streams.config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lanes:
    """The topics of each lane."""

    live: frozenset[str]
    backfill: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Lanes:
        return cls(
            live=frozenset({settings.topic_raw, settings.topic_parsed}),
            backfill=frozenset({settings.topic_backfill, settings.topic_parsed_backfill}),
        )


class KafkaConsumer(Protocol):
    """What the controller uses of aiokafka's consumer (tests pass a fake)."""

    def assignment(self) -> set[TopicPartition]: ...

    def highwater(self, partition: TopicPartition) -> int | None: ...

    async def position(self, partition: TopicPartition) -> int: ...

    def paused(self) -> set[TopicPartition]: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...


FETCH_WAIT_MS = 100
"""How long a fetch request may wait for records at the broker (Faust sets 1,500 ms): the longest a
resumed backfill partition waits for its first fetch. An idle worker sends ten empty fetches a second."""


def shorten_fetch_wait(consumer: object) -> None:
    """Cut the fetch wait of aiokafka's consumer to :data:`FETCH_WAIT_MS` (in its thread, once).

    aiokafka 0.14's ``Fetcher._fetch_max_wait_ms`` (pinned): Faust passes 1,500 ms and offers no setting.
    """
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None and getattr(fetcher, "_fetch_max_wait_ms", 0) > FETCH_WAIT_MS:
        fetcher._fetch_max_wait_ms = FETCH_WAIT_MS


Offsets = Mapping[tuple[str, int], int]
"""Per partition, the offset after the last record the agents finished with."""


class LiveAcks(faust.Sensor):
    """The offset after the last record the agents finished with, per live partition.

    ``on_message_out`` is Faust's hook for "every stream acknowledged this message" (processed: its
    outputs acknowledged by Kafka, its state written). Forgotten on a rebalance: a partition may come
    back after another worker moved it on.
    """

    def __init__(self, live: frozenset[str]) -> None:
        super().__init__()
        self.live = live
        self.done: dict[tuple[str, int], int] = {}

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        if tp.topic in self.live and offset >= self.done.get(tp, 0):
            self.done[tp] = offset + 1

    def on_rebalance_start(self, app: AppT) -> dict[Any, Any]:
        self.done.clear()
        return {}


@dataclass(frozen=True)
class Reading:
    """One check of the lanes."""

    live_lag: dict[TopicPartition, int]
    """Live partitions with records not processed yet, and how many."""
    in_flight: dict[TopicPartition, int]
    """Of those, records handed to the agents and not finished yet, per partition."""
    paused: frozenset[TopicPartition]
    """Backfill partitions this controller holds paused after the check."""


async def live_lag(
    consumer: KafkaConsumer, lanes: Lanes, timeout: float, done: Offsets
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """The assigned live partitions with lag, and of it what the agents hold in hand.

    A partition's lag runs from its highwater (as of the last fetch response) down to ``done``, the
    offset after the last record the agents finished with, or to the consumer's position when none
    was finished since the assignment. A partition not fetched yet (no highwater) or whose position
    is being reset (no answer within ``timeout``) counts as caught up: an unknown must not hold the
    backfill back.
    """
    lag: dict[TopicPartition, int] = {}
    in_flight: dict[TopicPartition, int] = {}
    for tp in consumer.assignment():
        if tp.topic not in lanes.live:
            continue
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        try:
            # Immediate while the position is valid; it only waits while aiokafka resets it.
            position = await asyncio.wait_for(consumer.position(tp), timeout)
        except (TimeoutError, IllegalStateError):  # resetting, or revoked since assignment()
            continue
        finished = done.get(tp)
        held = position - finished if finished is not None and finished < position else 0
        pending = max(0, highwater - position) + held
        if pending:
            lag[tp] = pending
        if held:
            in_flight[tp] = held
    return lag, in_flight


async def steer(
    consumer: KafkaConsumer,
    lanes: Lanes,
    ours: set[TopicPartition],
    timeout: float,
    done: Offsets | None = None,
) -> Reading:
    """Pause the assigned backfill partitions while the live lane has lag, else resume them.

    Runs in the consumer's own thread (aiokafka's pause and resume are not thread-safe). ``ours`` is
    the set of partitions this controller paused, kept across checks: only those are ever resumed.
    ``done``: see :func:`live_lag`.
    """
    lag, in_flight = await live_lag(consumer, lanes, timeout, done or {})
    backfill = {tp for tp in consumer.assignment() if tp.topic in lanes.backfill}
    paused = consumer.paused() & backfill
    # A rebalance gives fresh, unpaused partition states: what we paused before is no longer paused.
    ours &= paused
    if lag:
        # Only what is not paused already: a partition someone else paused is not ours to resume.
        todo = backfill - paused
        if todo:
            consumer.pause(*todo)
            ours |= todo
    elif ours:
        consumer.resume(*ours)
        ours.clear()
    return Reading(lag, in_flight, frozenset(ours))


def _describe(lag: dict[TopicPartition, int]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]={n}" for tp, n in sorted(lag.items()))


@dataclass
class TransitionLog:
    """Logs the backfill lane's pauses and resumes at info, at most one line per ``every`` seconds.

    A live filing a second is two transitions a second; the first of a spell is logged at once, the
    rest are counted, and the next line logged says how many were not.
    """

    every: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _last: float | None = None
    _held: int = 0

    def note(self, paused: bool, lag: dict[TopicPartition, int]) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < self.every:
            self._held += 1
            return
        held = f" ({self._held} more pauses and resumes since the last line)" if self._held else ""
        if paused:
            log.info("backfill lane paused: live lag %s%s", _describe(lag), held)
        else:
            log.info("backfill lane resumed: live lane caught up%s", held)
        self._last, self._held = now, 0


Runner = Callable[[Callable[..., Awaitable[Reading]], KafkaConsumer], Awaitable[Reading]]
"""Runs ``steer`` (with the consumer as its first argument) in the consumer's thread."""


STUCK_SECONDS = 30.0
"""A live record in hand this long, with nothing finished since, is taken for a gap in the offsets (a
transaction marker, say) rather than work: it stops holding the backfill back."""


@dataclass
class LaneController:
    """Keeps the backfill lane paused while the live lane has lag (see the module's docstring)."""

    settings: Settings
    lanes: Lanes
    transitions: TransitionLog = field(default_factory=TransitionLog)
    clock: Callable[[], float] = time.monotonic
    paused: bool = False
    """Whether the backfill lane is paused now (for a gauge)."""
    pauses: int = 0
    """How many times it was paused since the start."""
    live_waiting: bool = False
    """Whether the last check found live records not processed yet (the agents then set backfill
    records aside: :mod:`streams.worker.rewind`)."""
    acks: LiveAcks = field(init=False)
    """Registered as a Faust sensor by :func:`register`."""
    _ours: set[TopicPartition] = field(default_factory=set)
    _held_since: dict[tuple[str, int], tuple[int | None, float]] = field(default_factory=dict)
    _distrusted: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.acks = LiveAcks(self.lanes.live)

    async def check(self, consumer: KafkaConsumer, run: Runner) -> Reading:
        """One check: read the live lag and pause or resume the backfill partitions in ``run``."""
        timeout = self.settings.lanes_check_seconds
        ours = self._ours
        done = self._done()

        async def in_thread(kafka: KafkaConsumer) -> Reading:
            shorten_fetch_wait(kafka)
            return await steer(kafka, self.lanes, ours, timeout, done)

        reading = await run(in_thread, consumer)
        self.live_waiting = bool(reading.live_lag)
        self._watch(reading.in_flight, done)
        paused = bool(reading.paused)
        if paused != self.paused:
            self.paused = paused
            self.pauses += paused
            self.transitions.note(paused, reading.live_lag)
        return reading

    def _done(self) -> dict[tuple[str, int], int]:
        """A copy of the sensor's offsets (the check runs in another thread), less the distrusted."""
        for tp, offset in list(self._distrusted.items()):
            if self.acks.done.get(tp) != offset:  # moved on since: trusted again
                del self._distrusted[tp]
        return {tp: n for tp, n in self.acks.done.items() if self._distrusted.get(tp) != n}

    def _watch(self, in_flight: Mapping[TopicPartition, int], done: Offsets) -> None:
        """Distrust a partition whose records stay in hand with nothing finished (:data:`STUCK_SECONDS`)."""
        now = self.clock()
        for tp in [tp for tp in self._held_since if tp not in in_flight]:
            del self._held_since[tp]
        for tp in in_flight:
            offset = done.get(tp)
            since = self._held_since.get(tp)
            if since is None or since[0] != offset:
                self._held_since[tp] = (offset, now)
            elif offset is not None and now - since[1] > STUCK_SECONDS:
                log.warning(
                    "lanes: %s[%d] has had %d record(s) in hand for %.0fs with none finished; "
                    "no longer holding the backfill lane for them",
                    tp[0],
                    tp[1],
                    in_flight[tp],
                    now - since[1],
                )
                self._distrusted[tp] = offset
                del self._held_since[tp]


def _consumer_thread(app: faust.App) -> tuple[Any, KafkaConsumer] | None:
    """The consumer thread of ``app`` and its aiokafka consumer, once both exist.

    Private attributes of faust-streaming 0.15.3 (pinned): Faust offers no way to pause a partition
    in aiokafka, and aiokafka's pause must run on the consumer thread's loop.
    """
    thread = getattr(app.consumer, "_thread", None)
    kafka = getattr(thread, "_consumer", None)
    if thread is None or kafka is None:
        return None
    return thread, kafka


def _stopping(app: faust.App) -> bool:
    """Whether Faust's consumer thread is stopping or its event loop is closed."""
    thread: Any = getattr(app.consumer, "_thread", None)
    loop = getattr(thread, "thread_loop", None)
    return bool(thread is not None and (thread.should_stop or (loop is not None and loop.is_closed())))


async def tick(controller: LaneController, app: faust.App) -> Reading | None:
    """One check of ``app``'s lanes; ``None`` while there is nothing to check yet."""
    # Rebalancing: the assignment is in flux, and Faust holds every source partition anyway.
    found = None if app.rebalancing else _consumer_thread(app)
    if found is None:
        return None
    thread, kafka = found
    return await controller.check(kafka, thread.call_thread)


def register(app: faust.App, settings: Settings) -> LaneController:
    """The lanes task on ``app``: a :class:`LaneController` checked every ``lanes_check_seconds``."""
    controller = LaneController(settings, Lanes.of(settings))
    app.sensors.add(controller.acks)
    interval = settings.lanes_check_seconds

    async def steer_lanes() -> None:
        failures = 0
        while True:
            await asyncio.sleep(interval)
            try:
                await tick(controller, app)
                failures = 0
            except Exception:  # noqa: BLE001 - a failed check must not stop the worker; the next retries
                if app.should_stop or _stopping(app):
                    return  # the worker is stopping: its consumer's thread and loop close under the check
                failures += 1
                if failures == 1 or failures % 1000 == 0:
                    log.exception("lanes check failed (%d in a row); trying again", failures)

    app.task(steer_lanes)
    return controller


__all__ = [
    "FETCH_WAIT_MS",
    "STUCK_SECONDS",
    "KafkaConsumer",
    "LaneController",
    "Lanes",
    "LiveAcks",
    "Reading",
    "TransitionLog",
    "live_lag",
    "register",
    "shorten_fetch_wait",
    "steer",
    "tick",
]
