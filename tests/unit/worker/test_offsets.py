"""The commit guard: a commit never passes a record that was not acknowledged; a hole is fetched again."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from faust.types import TP

from streams.worker.offsets import CommitGuard, committable

RAW = TP("form4.raw", 0)
CHANGELOG = TP("form4-filings-changelog", 0)


def test_the_commit_runs_from_the_committed_offset_to_the_first_hole() -> None:
    acked = [14, 12, 13, 10, 11, 16]
    assert committable(acked, 10) == 15
    assert acked == [16]  # what stays for a later commit


def test_a_hole_of_one_record_at_the_committed_offset_holds_the_commit() -> None:
    # Faust's own rule lets this through (first acknowledged one past the committed offset): the
    # record at 10 was never acknowledged, and committing 13 would lose it.
    acked = [11, 12]
    assert committable(acked, 10) is None
    assert acked == [11, 12]


def test_nothing_committed_yet_starts_at_the_first_acknowledged() -> None:
    assert committable([3, 4, 5], None) == 6
    assert committable([], 7) is None


def test_offsets_acknowledged_again_below_the_commit_are_dropped() -> None:
    acked = [8, 9, 10, 11]
    assert committable(acked, 10) == 12
    assert acked == []


class FakeConsumer:
    """The consumer attributes the guard reads and patches, as Faust 0.15.3 keeps them."""

    def __init__(self) -> None:
        self._acked: defaultdict[TP, list[int]] = defaultdict(list)
        self._acked_index: defaultdict[TP, set[int]] = defaultdict(set)
        self._committed_offset: defaultdict[TP, int | None] = defaultdict(lambda: None)
        self.gaps: list[tuple[TP, int, int]] = []
        self.sought: list[tuple[TP, int]] = []

    def _new_offset(self, tp: TP) -> int | None:
        return -1  # Faust's rule: marks the topics the guard leaves alone

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        self.gaps.append((tp, offset_from, offset_to))

    def ack(self, tp: TP, *offsets: int) -> None:
        self._acked[tp].extend(offsets)
        self._acked_index[tp].update(offsets)

    def assignment(self) -> set[TP]:
        return {RAW, CHANGELOG}

    async def seek(self, tp: TP, offset: int) -> None:
        self.sought.append((tp, offset))


async def test_installed_our_topics_use_our_rule_and_ignore_gaps_others_keep_fausts() -> None:
    consumer: Any = FakeConsumer()
    guard = CommitGuard(frozenset({RAW.topic}))
    guard.install(consumer)
    consumer._committed_offset[RAW] = 100
    consumer.ack(RAW, 101, 102)
    assert consumer._new_offset(RAW) is None  # 100 was dropped
    consumer.ack(RAW, 100)
    assert consumer._new_offset(RAW) == 103
    assert consumer._acked_index[RAW] == set()
    assert consumer._new_offset(CHANGELOG) == -1
    await consumer._add_gap(RAW, 5, 9)
    await consumer._add_gap(CHANGELOG, 5, 9)
    assert consumer.gaps == [(CHANGELOG, 5, 9)]
    assert guard.gaps_ignored == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeApp:
    rebalancing = False
    in_recovery = False

    def __init__(self, consumer: FakeConsumer) -> None:
        self.consumer = consumer


def guarded(grace: float) -> tuple[Clock, FakeConsumer, Any, CommitGuard]:
    """A guard on RAW over a fake consumer whose committed offset there is 50."""
    clock = Clock()
    consumer = FakeConsumer()
    consumer._committed_offset[RAW] = 50
    return clock, consumer, FakeApp(consumer), CommitGuard(frozenset({RAW.topic}), grace=grace, clock=clock)


async def test_a_hole_that_stands_past_the_grace_is_sought_back_once_per_grace() -> None:
    clock, consumer, app, guard = guarded(grace=2.0)
    consumer.ack(RAW, 53, 54)
    assert await guard.repair(app) == 0  # first seen
    clock.now = 1.0
    assert await guard.repair(app) == 0  # in grace: records may still be in hand
    clock.now = 2.5
    assert await guard.repair(app) == 1
    assert consumer.sought == [(RAW, 50)]
    clock.now = 3.0
    assert await guard.repair(app) == 0  # the clock restarted with the repair
    # The dropped records came back and the commit moved: no hole any more.
    consumer.ack(RAW, 50, 51, 52)
    consumer._committed_offset[RAW] = committable(consumer._acked[RAW], 50)
    clock.now = 10.0
    assert await guard.repair(app) == 0
    assert guard.holes == {}
    assert guard.repairs == 1


async def test_no_repair_while_rebalancing_or_recovering_or_without_acknowledgements_after() -> None:
    _, consumer, app, guard = guarded(grace=0.0)
    consumer.ack(RAW, 50, 51)  # in order: no hole
    assert await guard.repair(app) == 0
    consumer._acked[RAW] = [60]
    app.in_recovery = True
    assert await guard.repair(app) == 0
    assert consumer.sought == []


class FakeThread:
    """Faust's consumer thread: ``call_thread`` runs a coroutine function there."""

    def __init__(self) -> None:
        self.in_thread = False
        self.sought: list[tuple[TP, int, bool]] = []

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        self.in_thread = True
        try:
            return await fun(*args)
        finally:
            self.in_thread = False

    def seek(self, tp: TP, offset: int) -> None:
        self.sought.append((tp, offset, self.in_thread))


async def test_a_repair_seeks_in_the_consumers_thread_and_sets_fausts_read_offset() -> None:
    """aiokafka is not thread-safe: a seek from the event loop's thread while its fetcher hands out the
    partition's records crashed the fetcher (KeyError in fetched_records) and the worker read no more."""
    clock, consumer, app, guard = guarded(grace=0.0)
    thread = FakeThread()
    consumer._thread = thread  # type: ignore[attr-defined]
    consumer._read_offset = {}  # type: ignore[attr-defined]
    consumer.ack(RAW, 53)
    assert await guard.repair(app) == 0
    clock.now = 1.0
    assert await guard.repair(app) == 1
    assert thread.sought == [(RAW, 50, True)]
    assert consumer._read_offset == {RAW: 50}  # type: ignore[attr-defined]
    assert consumer.sought == [], "not Faust's seek, which calls aiokafka from this thread"
