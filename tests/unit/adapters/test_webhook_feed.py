"""A webhook subscriber's feed without a broker: bounded, ordered per issuer, committed only past finished."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition

from streams.adapters.webhook_feed import FeedFailure, OffsetTracker, SubscriberFeed, subscriber_group
from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber

TP = TopicPartition("alerts", 0)


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass
class FakeConsumer:
    """Hands out ``records`` of one partition, at most ``max_records`` per poll; records commits."""

    records: list[Rec]
    end: int = 0
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    paused: bool = False
    stopped: bool = False

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        await asyncio.sleep(0)
        if self.paused or not self.records:
            await asyncio.sleep(timeout_ms / 1000 / 50)
            return {}
        n = max_records or len(self.records)
        out, self.records = self.records[:n], self.records[n:]
        return {TP: out}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, self.end)

    async def position(self, partition: TopicPartition) -> int:
        return 0

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused = True

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused = False


def records(keys: str) -> list[Rec]:
    """One record per character: the character is its key (its issuer)."""
    return [Rec("alerts", 0, i, k.encode(), f"{k}{i}".encode()) for i, k in enumerate(keys)]


def test_the_commit_position_never_passes_an_unfinished_record() -> None:
    t = OffsetTracker()
    for offset in (10, 11, 12):
        t.started(TP, offset)
    assert t.position(TP) == 10 and t.in_flight == 3
    t.finished(TP, 11)
    t.finished(TP, 12)
    assert t.to_commit() == {TP: 10}
    t.committed({TP: 10})
    assert t.to_commit() == {}
    t.finished(TP, 10)
    assert t.to_commit() == {TP: 13}
    t.forget({TP})
    t.finished(TP, 13)  # a delivery that ends after its partition was revoked changes nothing
    assert t.position(TP) is None and t.to_commit() == {}


def test_each_subscriber_has_its_own_consumer_group() -> None:
    settings = Settings(app_id="form4-x")
    sub = WebhookSubscriber(url="http://h:1/x", secret="s", name="desk")
    assert subscriber_group(settings, sub) == "form4-x-webhook-desk"
    with pytest.raises(ValueError, match="share a label"):
        Settings(webhooks=[sub, WebhookSubscriber(url="http://other/y", secret="t", name="desk")])


async def run_until(feed: SubscriberFeed, done: asyncio.Event) -> None:
    task = asyncio.create_task(feed.run())
    await asyncio.wait_for(done.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_concurrency_is_bounded_and_one_issuers_alerts_stay_in_order() -> None:
    consumer = FakeConsumer(records("abcabcabcaaab"))
    order: list[bytes] = []
    active: set[bytes] = set()
    most = 0
    done = asyncio.Event()

    async def handle(record: Any) -> None:
        nonlocal most
        assert record.key not in active  # never two of one issuer at once
        active.add(record.key)
        most = max(most, len(active))
        await asyncio.sleep(0.001 * (3 - len(order) % 3))  # finishing out of fetch order across issuers
        active.discard(record.key)
        order.append(record.value)
        if len(order) == 13:
            done.set()

    feed = SubscriberFeed("s", consumer, "alerts", handle, concurrency=2)
    await run_until(feed, done)
    assert most <= 2
    for key in b"abc":
        mine = [v for v in order if v[0] == key]
        assert mine == sorted(mine, key=lambda v: int(v[1:]))
    assert consumer.commits[-1] == {TP: 13} and consumer.stopped


async def test_a_slow_record_holds_back_the_commit_not_the_other_issuers() -> None:
    consumer = FakeConsumer(records("abbbb"), end=5)
    release = asyncio.Event()
    delivered: list[bytes] = []
    others_done = asyncio.Event()

    async def handle(record: Any) -> None:
        if record.key == b"a":
            await release.wait()
        delivered.append(record.value)
        if len(delivered) == 4:
            others_done.set()

    feed = SubscriberFeed("s", consumer, "alerts", handle, concurrency=2)
    task = asyncio.create_task(feed.run())
    await asyncio.wait_for(others_done.wait(), 30)
    await feed.commit()
    assert delivered == [b"b1", b"b2", b"b3", b"b4"]
    assert consumer.commits[-1] == {TP: 0}  # a0 is not finished: nothing may be committed
    assert await feed.refresh_backlog() == 5
    release.set()
    while feed.tracker.to_commit() != {TP: 5}:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert consumer.commits[-1] == {TP: 5}


async def test_a_record_that_cannot_be_finished_stops_the_feed_uncommitted() -> None:
    consumer = FakeConsumer(records("abc"))

    async def handle(record: Any) -> None:
        if record.key == b"b":
            raise ConnectionError("no acknowledgement for the dead letter")

    feed = SubscriberFeed("s", consumer, "alerts", handle, concurrency=1)
    with pytest.raises(FeedFailure, match=r"alerts\[0\]@1: ConnectionError"):
        await asyncio.wait_for(feed.run(), 30)
    assert all(c[TP] <= 1 for c in consumer.commits) and consumer.stopped
