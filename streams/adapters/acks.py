"""Send several records, then wait until Kafka acknowledged every one: the one way we send and wait.

Producers (Faust's topics and aiokafka alike) return a future from ``send``: the record is queued and
batched, and the future resolves when the broker acknowledged it. Queue everything first, then
await each acknowledgement, so the records of one step share batches; only then may the caller
write its "done" marker (at-least-once: a crash before that point redelivers, never loses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def send_acked(sends: Iterable[Awaitable[Awaitable[T]]]) -> list[T]:
    """Await each send (queues the record), then each acknowledgement; the results in order.

    ``sends`` is consumed lazily and in order, e.g.
    ``await send_acked(topic.send(key=k, value=v) for k, v in records)``.
    """
    pending = [await send for send in sends]
    return [await ack for ack in pending]


__all__ = ["send_acked"]
