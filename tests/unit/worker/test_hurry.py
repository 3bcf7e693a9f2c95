"""A batch's records leave when the batch is made, not when the producer's linger runs out (issue 12).

The linger lets a batch's records share Kafka requests; once the agent waits for their
acknowledgements, lingering on is idle time. :func:`cut_linger` is checked on aiokafka's own
accumulator (0.14.0, pinned), the rest on fakes.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka.producer.message_accumulator import MessageAccumulator
from aiokafka.structs import TopicPartition

from streams.worker.batch import ChangelogBarrier, Outbox
from streams.worker.topics import Topics, cut_linger
from tests.unit.worker.fakes import RecordingSender, settle


async def _accumulator(linger_ms: int) -> MessageAccumulator:
    return MessageAccumulator(
        cluster=None, batch_size=16384, compression_type=0, batch_ttl=30_000, linger_ms=linger_ms
    )


async def test_cut_linger_makes_every_held_batch_ready_and_wakes_the_sender() -> None:
    accumulator = await _accumulator(linger_ms=60_000)
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    await accumulator.add_message(a, b"k", b"v1", timeout=1, timestamp_ms=0)
    await accumulator.add_message(b, b"k", b"v2", timeout=1, timestamp_ms=0)
    batches = [accumulator._batches[tp][0] for tp in (a, b)]
    assert all(batch.remaining_linger() for batch in batches), "a minute of linger left before the cut"
    waiter = accumulator._waiter_future = asyncio.get_running_loop().create_future()  # the sender's next wait

    cut_linger(SimpleNamespace(_message_accumulator=accumulator))

    assert [batch.remaining_linger() for batch in batches] == [None, None], "ready: sent on the next wake"
    assert waiter.done(), "the sender is woken"
    # A record after the cut does not join a closed batch: it waits for that one to be sent.
    late = asyncio.create_task(accumulator.add_message(a, b"k", b"v3", timeout=1, timestamp_ms=0))
    await settle()
    assert not late.done() and len(accumulator._batches[a]) == 1
    late.cancel()


def test_cut_linger_without_a_started_producer_does_nothing() -> None:
    cut_linger(None)
    cut_linger(SimpleNamespace())


class Hurries:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


async def test_an_outbox_hurries_the_producer_before_it_waits_and_not_when_it_sent_nothing() -> None:
    hurry = Hurries()
    outbox = Outbox(RecordingSender(), hurry)
    await outbox.settle()
    assert hurry.calls == 0
    await outbox.put("t", None, b"1")
    await outbox.put("t", None, b"2")
    await outbox.settle()
    assert hurry.calls == 1, "once per batch, not per record"


async def test_the_changelog_barrier_hurries_before_it_waits() -> None:
    table = SimpleNamespace(send_changelog=lambda *a, **k: asyncio.get_running_loop().create_future())
    hurry = Hurries()
    barrier = ChangelogBarrier([table], hurry)
    await barrier()
    assert hurry.calls == 0, "nothing written: nothing to hurry"
    future = table.send_changelog(0, b"k", b"v")
    waiting = asyncio.create_task(barrier())
    await settle()
    assert hurry.calls == 1 and not waiting.done(), "hurried, then waiting for the acknowledgement"
    future.set_result(None)
    await waiting


class FakeBuffer:
    """Faust's producer buffer: table writes wait here until its task hands them on."""

    def __init__(self, held: int) -> None:
        self.size = held


async def test_topics_hurry_lets_faust_buffer_hand_on_its_records_first() -> None:
    buffer = FakeBuffer(held=3)
    accumulator = await _accumulator(linger_ms=60_000)
    await accumulator.add_message(TopicPartition("t", 0), b"k", b"v", timeout=1, timestamp_ms=0)
    cut_when: list[int] = []

    async def drain() -> None:  # Faust's buffer task: one record per loop turn
        while buffer.size:
            await asyncio.sleep(0)
            buffer.size -= 1

    producer: Any = SimpleNamespace(
        buffer=buffer, _producer=SimpleNamespace(_message_accumulator=accumulator)
    )
    topics = Topics.__new__(Topics)
    object.__setattr__(topics, "app", SimpleNamespace(producer=producer))
    draining = asyncio.create_task(drain())
    waiter = accumulator._waiter_future = asyncio.get_running_loop().create_future()  # the sender's next wait
    waiter.add_done_callback(lambda _: cut_when.append(buffer.size))
    await topics.hurry()
    await settle()
    await draining
    assert cut_when == [0], "the linger is cut once Faust's buffer is empty, not before"


async def test_send_now_sends_then_cuts_the_linger() -> None:
    accumulator = await _accumulator(linger_ms=60_000)
    sent: list[tuple[str, bytes | None, bytes]] = []
    loop = asyncio.get_running_loop()

    class Producer:
        buffer = FakeBuffer(held=0)
        _producer = SimpleNamespace(_message_accumulator=accumulator)

        async def send(self, topic: str, key: bytes | None, value: bytes, *rest: Any) -> Any:
            sent.append((topic, key, value))
            await accumulator.add_message(TopicPartition(topic, 0), key, value, timeout=1, timestamp_ms=0)
            return loop.create_future()

    producer = Producer()

    async def maybe_start_producer() -> Producer:
        return producer

    topics = Topics.__new__(Topics)
    object.__setattr__(
        topics, "app", SimpleNamespace(producer=producer, maybe_start_producer=maybe_start_producer)
    )
    object.__setattr__(topics, "names", frozenset({"raw"}))
    accumulator._waiter_future = loop.create_future()
    await topics.send_now("raw", b"k", b"filing")
    assert sent == [("raw", b"k", b"filing")]
    assert accumulator._batches[TopicPartition("raw", 0)][0].remaining_linger() is None, "ready at once"
