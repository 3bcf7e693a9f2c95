"""Commits that never pass a record the agents did not finish, and holes fetched again.

Found by the SIGKILL crash test and the scale-out bench: Faust 0.15.3 can drop a fetched record
without handing it to a stream (a partition it took out of its active set while a fetch was in hand,
a fetch cut short when flow stops) and then commit past it, for two reasons:
- it takes a jump in the offsets it reads for a gap of a compacted topic (``Consumer._add_gap``) and
  counts the skipped offsets as done;
- its commit check lets a hole of one record at the head through (``_new_offset`` holds the commit
  only when the first acknowledged offset is more than one past the committed one).

Our source topics (raw, parsed and their backfill lanes) are never compacted and never written in
transactions, so their offsets are contiguous: a jump is a record lost in the worker, never a gap in
the log. For those topics, and only those, :class:`CommitGuard`
- computes the offset to commit itself: the end of the run of acknowledged offsets that starts
  exactly at the committed offset. A commit never passes a record that was not acknowledged;
- ignores Faust's gaps (logged at debug: each is a record that a repair will fetch again);
- repairs a hole: when records after the committed offset were acknowledged and the one at it was
  not, that one was dropped (one agent reads a partition, one batch at a time, and acknowledges its
  events in order), so after ``grace`` seconds the partition is sought back to the committed offset and
  the records are fetched again. Those handled already come back as duplicates (the ledger's and the
  parser's idempotence); the dropped ones are handled.

A hole the repair cannot see (nothing acknowledged after it) holds the commit, and the stall watchdog
(streams/worker/watchdog.py) restarts the worker, which resumes from the commit.

Private attributes of faust-streaming 0.15.3 (pinned): ``_acked``, ``_acked_index`` and
``_committed_offset`` are read; ``_new_offset`` and ``_add_gap`` are patched on the one consumer instance
of the app, not on the class. The repair uses Faust's public ``Consumer.seek`` (it also resets the read
offset, so the records fetched again are not dropped as already read).
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import faust
from aiokafka.errors import IllegalStateError
from faust.types import TP

log = logging.getLogger(__name__)


def committable(acked: list[int], committed: int | None) -> int | None:
    """The offset to commit: one past the run of acknowledged offsets starting at ``committed``.

    ``acked`` (sorted here, in place) loses the run; ``None`` when there is nothing to commit: no
    acknowledgement, or a hole at ``committed``. With nothing committed yet the run starts at the first
    acknowledged offset (Faust's rule: the partition's first record is the first one read).
    """
    if not acked:
        return None
    acked.sort()
    if committed is not None:
        del acked[: bisect_left(acked, committed)]  # acknowledged again after a repair; committed already
    if not acked or (committed is not None and acked[0] != committed):
        return None
    end = 1
    while end < len(acked) and acked[end] <= acked[end - 1] + 1:
        end += 1
    last = acked[end - 1]
    del acked[:end]
    return last + 1


@dataclass
class Hole:
    """A partition whose record at the committed offset was dropped, as first seen."""

    committed: int
    first_acked: int
    since: float


@dataclass
class CommitGuard:
    """The commit rule and the hole repair for ``topics`` (see the module's docstring)."""

    topics: frozenset[str]
    grace: float = 2.0
    """Seconds a hole must stand before its partition is fetched again."""
    clock: Callable[[], float] = time.monotonic
    holes: dict[TP, Hole] = field(default_factory=dict)
    repairs: int = 0
    """Partitions sought back to a hole since the start."""
    gaps_ignored: int = 0
    """Jumps in the offsets Faust read on our topics (records it dropped), not counted as done."""

    def install(self, consumer: Any) -> None:
        """Patch ``consumer`` (Faust's, one instance): our commit rule and no gaps on our topics."""
        new_offset = consumer._new_offset
        add_gap = consumer._add_gap

        def guarded_new_offset(tp: TP) -> int | None:
            if tp.topic not in self.topics:
                return new_offset(tp)  # type: ignore[no-any-return]
            acked = consumer._acked[tp]
            offset = committable(acked, consumer._committed_offset[tp])
            if offset is not None:
                index = consumer._acked_index[tp]
                index.difference_update([o for o in index if o < offset])
            return offset

        async def guarded_add_gap(tp: TP, offset_from: int, offset_to: int) -> None:
            if tp.topic not in self.topics:
                await add_gap(tp, offset_from, offset_to)
                return
            self.gaps_ignored += 1
            log.debug(
                "offsets: %s[%d] read jumped to %d; not counted as done", tp.topic, tp.partition, offset_to
            )

        consumer._new_offset = guarded_new_offset
        consumer._add_gap = guarded_add_gap

    def find_holes(self, assigned: Iterable[TP], consumer: Any) -> list[tuple[TP, Hole]]:
        """The holes on ``assigned`` that stood ``grace`` seconds: due for a repair (their clock restarts)."""
        now = self.clock()
        due: list[tuple[TP, Hole]] = []
        live: set[TP] = set()
        for tp in assigned:
            if tp.topic not in self.topics:
                continue
            committed = consumer._committed_offset[tp]
            acked = consumer._acked.get(tp)
            if committed is None or not acked or min(acked) <= committed:
                continue
            live.add(tp)
            hole = self.holes.get(tp)
            if hole is None or hole.committed != committed:
                self.holes[tp] = Hole(committed, min(acked), now)
            elif now - hole.since >= self.grace:
                due.append((tp, Hole(committed, min(acked), hole.since)))
                hole.since = now
        for tp in [tp for tp in self.holes if tp not in live]:
            del self.holes[tp]
        return due

    async def repair(self, app: faust.App) -> int:
        """Seek each partition with a hole due back to its committed offset; how many were."""
        consumer: Any = app.consumer
        if app.rebalancing or app.in_recovery:
            return 0
        repaired = 0
        for tp, hole in self.find_holes(consumer.assignment(), consumer):
            log.warning(
                "offsets: %s[%d] records from %d were not handed to the agents (dropped by Faust; %d "
                "and later were); fetching them again from %d",
                tp.topic,
                tp.partition,
                hole.committed,
                hole.first_acked,
                hole.committed,
            )
            try:
                await seek(consumer, tp, hole.committed)
            except (IllegalStateError, AssertionError, KeyError) as exc:  # revoked meanwhile
                log.info("offsets: %s[%d] not sought back (%s); its new owner reads it", *tp, exc)
                continue
            self.repairs += 1
            repaired += 1
        return repaired


async def seek(consumer: Any, tp: TP, offset: int) -> None:
    """Faust's ``Consumer.seek`` (aiokafka's position and Faust's read offset), with aiokafka's part in
    the consumer's own thread.

    Faust seeks from the event loop's thread while aiokafka fetches in the consumer's: a seek that
    lands while the fetcher hands out the partition's records removes them under it, and the fetcher
    dies (``KeyError`` in ``fetched_records``; the worker then reads nothing more). Seen once in the
    SIGKILL test, stuck until its timeout. aiokafka is not thread-safe; the rewinds and the lanes' pause
    and resume already call it in its thread.
    """
    thread = getattr(consumer, "_thread", None)
    if thread is None:  # a consumer without Faust's thread (the tests' fakes)
        await consumer.seek(tp, offset)
        return
    await thread.call_thread(seek_in_thread, thread, tp, offset)
    consumer._read_offset[tp] = offset if offset else None  # as Faust's seek sets it


async def seek_in_thread(thread: Any, tp: TP, offset: int) -> None:
    """aiokafka's seek, called by ``thread.call_thread``: runs in the consumer's thread."""
    thread.seek(tp, offset)


def register(app: faust.App, topics: frozenset[str], every: float = 1.0) -> CommitGuard:
    """Install the guard on ``app``'s consumer and check for holes every ``every`` seconds."""
    guard = CommitGuard(topics)
    guard.install(app.consumer)

    @app.timer(interval=every, on_leader=False)
    async def repair_offset_holes() -> None:
        await guard.repair(app)

    return guard


__all__ = ["CommitGuard", "Hole", "committable", "register", "seek", "seek_in_thread"]
