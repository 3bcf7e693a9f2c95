"""``send_acked``: queue every record first, then await each acknowledgement, results in send order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator, Iterator
from typing import Any

import pytest

from streams.adapters.acks import send_acked


class Ack:
    """An acknowledgement future that notes when it is awaited (and, unlike a coroutine, may go unawaited)."""

    def __init__(self, events: list[str], value: str, future: asyncio.Future[str]) -> None:
        self.events, self.value, self.future = events, value, future

    def __await__(self) -> Generator[Any, None, str]:
        self.events.append(f"ack {self.value}")
        return self.future.__await__()


class FakeProducer:
    """Records the order of sends and of awaited acknowledgements; ``fail`` names acks that fail."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.fail = fail
        self.events: list[str] = []

    async def send(self, value: str) -> Ack:
        self.events.append(f"send {value}")
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if value in self.fail:
            future.set_exception(RuntimeError(f"{value} not acknowledged"))
        else:
            future.set_result(f"offset of {value}")
        return Ack(self.events, value, future)


async def test_all_sends_are_queued_before_any_ack_is_awaited() -> None:
    producer = FakeProducer()
    assert await send_acked(producer.send(v) for v in "abc") == ["offset of a", "offset of b", "offset of c"]
    assert producer.events == ["send a", "send b", "send c", "ack a", "ack b", "ack c"]


async def test_sends_are_drawn_lazily_in_order() -> None:
    """The iterable is consumed one send at a time, so a generator can read its input as it goes."""
    producer = FakeProducer()
    read: list[str] = []

    def sends() -> Iterator[Awaitable[Awaitable[str]]]:
        for v in "ab":
            read.append(v)
            producer.events.append(f"read {v}")
            yield producer.send(v)

    await send_acked(sends())
    assert producer.events[:4] == ["read a", "send a", "read b", "send b"]


async def test_a_failed_ack_is_raised_by_default() -> None:
    with pytest.raises(RuntimeError, match="b not acknowledged"):
        await send_acked(FakeProducer(frozenset({"b"})).send(v) for v in "abc")


async def test_return_exceptions_puts_a_failed_ack_in_its_place() -> None:
    """Every ack is awaited; the failure stands where its record was, the others keep their results."""
    producer = FakeProducer(frozenset({"b"}))
    results = await send_acked((producer.send(v) for v in "abc"), return_exceptions=True)
    assert results[0] == "offset of a" and results[2] == "offset of c"
    assert isinstance(results[1], RuntimeError) and str(results[1]) == "b not acknowledged"
    assert producer.events[-3:] == ["ack a", "ack b", "ack c"]
