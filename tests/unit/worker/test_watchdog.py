"""The stall watchdog: records to read on this worker's partitions and none handled for a while -> exit."""

from __future__ import annotations

import asyncio
import threading
import time

from streams.adapters.lag import GroupLag, PartitionLag
from streams.config.settings import Settings
from streams.worker.watchdog import EXIT_STALLED, Progress, StallWatchdog, StopDeadline
from tests.unit.worker.fakes import unit_settings

SETTINGS = unit_settings(stall_seconds=60.0)
MINE = frozenset({(SETTINGS.topic_raw, 0), (SETTINGS.topic_parsed, 0)})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watchdog(lag: list[PartitionLag], clock: Clock) -> tuple[StallWatchdog, list[int]]:
    exits: list[int] = []

    async def read(settings: Settings) -> GroupLag:
        return GroupLag(settings.app_id, lag)

    return StallWatchdog(SETTINGS, Progress(clock), read_lag=read, exit=exits.append), exits


async def test_lag_on_my_partitions_and_nothing_handled_exits_for_a_restart() -> None:
    clock = Clock()
    dog, exits = watchdog([PartitionLag(SETTINGS.topic_raw, 0, 10, 15, 5)], clock)
    assert not await dog.check(MINE, recovering=False)  # first sight of this assignment: the clock starts
    clock.now += 59
    assert not await dog.check(MINE, recovering=False)
    clock.now += 2
    assert await dog.check(MINE, recovering=False)
    assert exits == [EXIT_STALLED]


async def test_progress_recovery_a_new_assignment_or_no_lag_is_no_stall() -> None:
    clock = Clock()
    dog, exits = watchdog([PartitionLag(SETTINGS.topic_raw, 0, 10, 15, 5)], clock)
    await dog.check(MINE, recovering=False)
    clock.now += 50
    dog.progress.bump(3)  # handled something
    clock.now += 50
    assert not await dog.check(MINE, recovering=False)
    clock.now += 100
    assert not await dog.check(MINE, recovering=True), "recovering tables is not a stall"
    clock.now += 100
    assert not await dog.check(MINE - {(SETTINGS.topic_parsed, 0)}, recovering=False), "a rebalance"
    # Lag only on a partition another worker holds: not ours to restart for.
    other, exits_other = watchdog([PartitionLag(SETTINGS.topic_raw, 1, 0, 9, 9)], clock)
    await other.check(MINE, recovering=False)
    clock.now += 1000
    assert not await other.check(MINE, recovering=False)
    assert exits == exits_other == []


async def test_kafka_unreachable_is_not_a_stall() -> None:
    clock = Clock()
    exits: list[int] = []

    async def down(settings: Settings) -> GroupLag:
        raise ConnectionError("no broker")

    dog = StallWatchdog(SETTINGS, Progress(clock), read_lag=down, exit=exits.append)
    await dog.check(MINE, recovering=False)
    clock.now += 1000
    assert not await dog.check(MINE, recovering=False)
    assert exits == []


async def test_a_stall_diagnosis_names_where_an_agent_waits() -> None:
    # A Task's own stack shows only its outermost frame; the await chain shows the wait that never ends.
    from streams.worker.watchdog import _awaiting

    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def settle_batch() -> None:
        await never

    async def agent_body() -> None:
        await settle_batch()

    task = asyncio.create_task(agent_body())
    await asyncio.sleep(0)
    chain = _awaiting(task.get_coro())
    task.cancel()
    lines = chain.splitlines()
    assert "agent_body" in lines[0]
    assert "settle_batch" in lines[1]
    assert lines[-1].strip().startswith("waits on ")  # a Future's iterator: the end of the chain


def test_a_stop_not_done_in_time_exits_once_with_the_stall_code() -> None:
    exited: list[int] = []
    done = threading.Event()

    def exit_(code: int) -> None:
        exited.append(code)
        done.set()

    deadline = StopDeadline(0.05, exit=exit_)
    deadline.arm()
    deadline.arm()  # SIGTERM, then SIGINT: one timer
    assert done.wait(5)
    time.sleep(0.2)  # a second timer would have fired by now
    assert exited == [EXIT_STALLED]


def test_an_unarmed_deadline_never_exits() -> None:
    exited: list[int] = []
    StopDeadline(0.01, exit=exited.append)
    time.sleep(0.1)
    assert exited == []
