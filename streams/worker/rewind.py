"""Backfill records set aside while a live filing waits, and fetched again later (issue 12, goal 3).

Pausing the backfill partitions (:mod:`streams.worker.lanes`) stops new backfill records from being
fetched, but a live filing still waited for the backfill records read before the pause: each agent's
stream buffer, the batch in its hands, and, since Faust hands records to all agents in one loop, the
other agent's buffer too. Measured with a 50,000-filing backfill: alert p50 757 ms, p99 2.8 s (now
234 ms and 2.05 s, the rest of the tail being garbage collection pauses; BENCHMARKS.md).

So while the live lane has lag, the agents *set aside* the backfill records they take instead of
handling them: a record set aside is never acknowledged (Faust's ack skips it, so no commit passes it;
see :mod:`streams.worker.offsets`), and after the batch its partition is sought back to the first
record set aside, to be fetched again once the backfill lane is resumed. Setting a record aside costs
microseconds where handling it costs milliseconds, so a live filing now waits for about one backfill
record per stage. Nothing is lost: a crash in between leaves those records uncommitted, as any record
in hand.

Records of a partition sought back that were already fetched before the seek ("stale": their offsets
are above the seek point and they come before the record at it) are set aside too: in the agent, and
in Faust's fetch loop (a filter on ``Consumer.getmany``), where one delivered would move Faust's read
offset past the seek point and make it drop the records fetched again.

Private attributes of faust-streaming 0.15.3 (pinned): ``Consumer.getmany`` is wrapped on the app's one
consumer instance, ``_read_offset`` and ``_unacked_messages`` are written, ``Message.acked`` is set.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import faust
from aiokafka.errors import IllegalStateError
from faust.types import TP, AppT, EventT, Message

from streams.worker.offsets import seek_in_thread

log = logging.getLogger(__name__)


@dataclass
class Point:
    """Where a backfill partition is (to be) sought back to: its first record set aside."""

    offset: int
    sought: bool = False
    """The seek was made: the record at ``offset`` fetched again is the next one to handle."""
    refetched: bool = False
    """The fetch loop handed on the record at ``offset`` again: what follows it is fresh."""


@dataclass
class Rewinds:
    """Which backfill records to set aside, and the seeks that fetch them again."""

    backfill: frozenset[str]
    live_waiting: Callable[[], bool]
    """Whether a live record is waiting (the lanes controller's last reading)."""
    points: dict[TP, Point] = field(default_factory=dict)
    set_aside_total: int = 0
    """Records set aside since the start (each is fetched and handled again later)."""
    stale_dropped: int = 0
    """Records dropped in Faust's fetch loop (read before their partition was sought back); not counted
    in :attr:`set_aside_total`."""
    seeks: int = 0
    app: AppT | None = None
    _unacked: Any = field(default_factory=set)
    _read_offset: Any = field(default_factory=dict)

    def set_aside(self, event: EventT[Any]) -> bool:
        """Whether the agent leaves ``event`` unhandled; if so it is marked so no commit passes it."""
        message = event.message
        tp = message.tp
        if tp.topic not in self.backfill:
            return False
        point = self.points.get(tp)
        if point is not None:
            if message.offset > point.offset or (message.offset == point.offset and not point.sought):
                return self._leave(message)
            # The record at the seek point fetched again, or an earlier one (redelivered after a
            # rebalance): the partition is read in order again.
            del self.points[tp]
            return False
        if not self.live_waiting():
            return False
        self.points[tp] = Point(message.offset)
        return self._leave(message)

    def _leave(self, message: Message) -> bool:
        # Faust's ack skips an acked message: the commit never passes it (offsets.CommitGuard), and
        # a stop does not wait for it.
        message.acked = True
        self._unacked.discard(message)
        self.set_aside_total += 1
        return True

    def fetched(self, tp: TP, offset: int) -> bool:
        """In Faust's fetch loop: whether to hand on this record (``False``: stale, dropped).

        Stale: fetched before its partition was sought back. The first record at or before the seek
        point is the fetch after the seek: from it on, everything is handed on, and Faust's read offset
        is put back to it (Faust drops records below its read offset, which stale records moved on).
        """
        point = self.points.get(tp)
        if point is None or not point.sought or point.refetched:
            return True
        if offset > point.offset:
            self.stale_dropped += 1
            return False
        point.refetched = True
        self._read_offset[tp] = offset
        return True

    async def rewind(self) -> int:
        """Seek each partition with records set aside back to the first of them; how many were."""
        todo = [(tp, p) for tp, p in self.points.items() if not p.sought]
        if not todo or self.app is None:
            return 0
        consumer: Any = self.app.consumer
        thread = getattr(consumer, "_thread", None)
        done = 0
        for tp, point in todo:
            try:
                if thread is not None:
                    # In the consumer's thread, like the lanes' pause and resume: aiokafka is not
                    # thread-safe, and a fetch response landing during the seek would move it on.
                    await thread.call_thread(seek_in_thread, thread, tp, point.offset)
                else:
                    await consumer.seek(tp, point.offset)
            except (IllegalStateError, AssertionError, KeyError) as exc:  # revoked meanwhile
                log.info("rewind: %s[%d] not sought back (%s); its new owner reads it", *tp, exc)
                del self.points[tp]
                continue
            point.sought = True
            self.seeks += 1
            done += 1
        return done

    def forget(self) -> None:
        """A rebalance: partitions start again from their committed offsets."""
        self.points.clear()

    def install(self, app: AppT) -> None:
        """Filter Faust's fetch loop (:meth:`fetched`) on ``app``'s consumer, one instance."""
        consumer: Any = app.consumer
        self.app = app
        self._unacked = consumer._unacked_messages
        self._read_offset = consumer._read_offset
        getmany = consumer.getmany

        async def fresh_only(timeout: float) -> AsyncIterator[tuple[TP, Message]]:
            # Faust's loop takes one record, hands it to the streams, and only then the next: a read
            # offset put back here is not overwritten by the record before.
            async for tp, message in getmany(timeout=timeout):
                if not self.points or self.fetched(tp, message.offset):
                    yield tp, message

        consumer.getmany = fresh_only


class _ForgetOnRebalance(faust.Sensor):
    def __init__(self, rewinds: Rewinds) -> None:
        super().__init__()
        self.rewinds = rewinds

    def on_rebalance_start(self, app: AppT) -> dict[Any, Any]:
        self.rewinds.forget()
        return {}


def register(app: faust.App, backfill: frozenset[str], live_waiting: Callable[[], bool]) -> Rewinds:
    """The rewinds of ``app``: installed on its consumer, forgotten on a rebalance."""
    rewinds = Rewinds(backfill, live_waiting)
    rewinds.install(app)
    app.sensors.add(_ForgetOnRebalance(rewinds))
    return rewinds


__all__ = ["Point", "Rewinds", "register"]
