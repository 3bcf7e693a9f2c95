"""One webhook subscriber's own queue: a Kafka consumer group reading the alerts topic for it alone.

Why a consumer group per subscriber (``<app_id>-webhook-<label>``), not a Faust agent: Faust's agents
share the worker's one group and one fetch loop, so a message is committed only once every agent is
done with it and a full stream buffer pauses the whole consumer; a dead subscriber would hold back the
others again. Its own group gives each subscriber its own committed position (its backlog is that
group's lag, readable by ``form4 lag`` with no worker running), its own pace and, on restart or
rebalance, its own redelivery.

At-least-once: a record's offset is committed only once it and every record before it in its
partition were *finished* (accepted by the receiver, filtered out, or dead-lettered with Kafka's
acknowledgement: the handler decides, and raises when it could not). Up to ``concurrency`` records are
in delivery at once, never two of one key (one issuer) at once, so an alert and its retraction arrive
in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from streams.adapters.kafka_security import client_kwargs
from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]
"""Finishes one record (a ``ConsumerRecord``); raises when it could not, which stops the feed."""

COMMIT_INTERVAL_SECONDS = 1.0
BACKLOG_INTERVAL_SECONDS = 5.0
POLL_MS = 500


def subscriber_group(settings: Settings, sub: WebhookSubscriber) -> str:
    """The consumer group holding ``sub``'s position on the alerts topic."""
    return f"{settings.app_id}-webhook-{sub.label}"


def make_consumer(settings: Settings, sub: WebhookSubscriber) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_kwargs(settings),
        group_id=subscriber_group(settings, sub),
        enable_auto_commit=False,  # committed by the feed, only past finished records
        auto_offset_reset=settings.webhook_start,
        session_timeout_ms=int(settings.session_timeout_seconds * 1000),
    )


class OffsetTracker:
    """Per partition: the offsets started and not yet finished, and how far a commit may go."""

    def __init__(self) -> None:
        self._pending: dict[TopicPartition, set[int]] = {}
        self._next: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    def started(self, tp: TopicPartition, offset: int) -> None:
        self._pending.setdefault(tp, set()).add(offset)
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)

    def finished(self, tp: TopicPartition, offset: int) -> None:
        pending = self._pending.get(tp)
        if pending is not None:  # a partition revoked meanwhile is forgotten: its new owner redelivers
            pending.discard(offset)

    def position(self, tp: TopicPartition) -> int | None:
        """The offset a commit of ``tp`` may name: the first unfinished one, or the next to fetch."""
        if tp not in self._next:
            return None
        pending = self._pending.get(tp)
        return min(pending) if pending else self._next[tp]

    def to_commit(self, tps: set[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """Positions that moved since the last :meth:`committed` (of ``tps`` only, when given)."""
        out: dict[TopicPartition, int] = {}
        for tp in self._next if tps is None else tps & self._next.keys():
            pos = self.position(tp)
            if pos is not None and self._committed.get(tp) != pos:
                out[tp] = pos
        return out

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        self._committed.update(offsets)

    def forget(self, tps: set[TopicPartition]) -> None:
        for tp in tps:
            self._pending.pop(tp, None)
            self._next.pop(tp, None)
            self._committed.pop(tp, None)

    @property
    def in_flight(self) -> int:
        return sum(len(p) for p in self._pending.values())


class FeedFailure(Exception):
    """The handler could not finish a record: its offset (and everything after) stays uncommitted."""

    def __init__(self, record: Any, cause: BaseException) -> None:
        super().__init__(
            f"{record.topic}[{record.partition}]@{record.offset}: {type(cause).__name__}: {cause}"
        )
        self.record = record
        self.cause = cause


class _Consumer(Protocol):
    """The part of ``AIOKafkaConsumer`` a feed uses (tests pass a fake)."""

    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]: ...
    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...
    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def position(self, partition: TopicPartition) -> int: ...
    def assignment(self) -> set[TopicPartition]: ...
    def pause(self, *partitions: TopicPartition) -> None: ...
    def resume(self, *partitions: TopicPartition) -> None: ...


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, feed: SubscriberFeed) -> None:
        self.feed = feed

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Commit what is finished; deliveries still running for these partitions are left to finish,
        # but their new owner starts from the commit and may deliver them again (at-least-once).
        await self.feed.commit(set(revoked))
        self.feed.tracker.forget(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


class SubscriberFeed:
    """Reads the alerts topic in ``sub``'s own group and hands each record to ``handle``."""

    def __init__(
        self,
        name: str,
        consumer: _Consumer,
        topic: str,
        handle: Handler,
        concurrency: int,
        on_backlog: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.consumer = consumer
        self.topic = topic
        self.handle = handle
        self.concurrency = concurrency
        self.on_backlog = on_backlog or (lambda n: None)
        self.clock = clock
        self.tracker = OffsetTracker()
        self._tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[tuple[TopicPartition, bytes | None], asyncio.Task[None]] = {}
        self._failure: FeedFailure | None = None

    async def run(self) -> None:
        """Deliver until cancelled (worker stop) or until the handler fails (:class:`FeedFailure`)."""
        self.consumer.subscribe([self.topic], listener=_Rebalance(self))
        await self.consumer.start()
        last_commit = last_backlog = self.clock()
        try:
            while self._failure is None:
                await self._poll()
                now = self.clock()
                if now - last_commit >= COMMIT_INTERVAL_SECONDS:
                    await self.commit()
                    last_commit = now
                if now - last_backlog >= BACKLOG_INTERVAL_SECONDS:
                    await self.refresh_backlog()
                    last_backlog = now
            raise self._failure
        finally:
            for task in self._tasks:  # abandoned deliveries stay uncommitted: redelivered after restart
                task.cancel()
            with contextlib.suppress(Exception):  # the broker may be the reason we stop
                await self.commit()
            await self.consumer.stop()

    async def _poll(self) -> None:
        room = self.concurrency - len(self._tasks)
        assigned = self.consumer.assignment()
        if room <= 0:
            # Full: stop fetching but keep polling (a consumer that stops polling leaves its group).
            self.consumer.pause(*assigned)
            await asyncio.wait(self._tasks, timeout=POLL_MS / 1000, return_when=asyncio.FIRST_COMPLETED)
            await self.consumer.getmany(timeout_ms=0)
            return
        self.consumer.resume(*assigned)
        batch = await self.consumer.getmany(timeout_ms=POLL_MS, max_records=room)
        for records in batch.values():
            for record in records:
                self._start(record)

    def _start(self, record: Any) -> None:
        tp = TopicPartition(record.topic, record.partition)
        key = (tp, record.key)
        before = self._chains.get(key)
        self.tracker.started(tp, record.offset)
        task = asyncio.create_task(
            self._deliver(record, tp, before), name=f"webhook {self.name} {record.offset}"
        )
        self._chains[key] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if self._chains.get(key) is t:
                del self._chains[key]

        task.add_done_callback(done)

    async def _deliver(self, record: Any, tp: TopicPartition, before: asyncio.Task[None] | None) -> None:
        if before is not None:  # the same issuer's earlier alert first
            await asyncio.wait([before])
        if self._failure is not None:
            return
        try:
            await self.handle(record)
        except Exception as exc:  # noqa: BLE001 - stops the feed, uncommitted; the caller decides
            if self._failure is None:
                self._failure = FeedFailure(record, exc)
            return
        self.tracker.finished(tp, record.offset)

    async def commit(self, tps: set[TopicPartition] | None = None) -> None:
        offsets = self.tracker.to_commit(tps)
        if offsets:
            await self.consumer.commit(offsets)
            self.tracker.committed(offsets)

    async def refresh_backlog(self) -> int:
        """Records of this worker's partitions not yet finished (fetched or not); also to ``on_backlog``."""
        assigned = sorted(self.consumer.assignment())
        if not assigned:
            self.on_backlog(0)
            return 0
        ends = await self.consumer.end_offsets(assigned)
        backlog = 0
        for tp in assigned:
            at = self.tracker.position(tp)
            if at is None:
                at = await self.consumer.position(tp)
            backlog += max(0, ends[tp] - at)
        self.on_backlog(backlog)
        return backlog


__all__ = [
    "FeedFailure",
    "OffsetTracker",
    "SubscriberFeed",
    "make_consumer",
    "subscriber_group",
]
