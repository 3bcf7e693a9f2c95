"""Send several records, then wait until Kafka acknowledged every one: the one way we send and wait.

Producers (Faust's topics and aiokafka alike) return a future from ``send``: the record is queued and
batched, and the future resolves when the broker acknowledged it. Queue everything first, then
await each acknowledgement, so the records of one step share batches; only then may the caller
write its "done" marker (at-least-once: a crash before that point redelivers, never loses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Literal, TypeVar, overload

T = TypeVar("T")


@overload
async def send_acked(
    sends: Iterable[Awaitable[Awaitable[T]]], *, return_exceptions: Literal[False] = False
) -> list[T]: ...


@overload
async def send_acked(
    sends: Iterable[Awaitable[Awaitable[T]]], *, return_exceptions: Literal[True]
) -> list[T | Exception]: ...


async def send_acked(
    sends: Iterable[Awaitable[Awaitable[T]]], *, return_exceptions: bool = False
) -> list[T] | list[T | Exception]:
    """Await each send (queues the record), then each acknowledgement; the results in order.

    ``sends`` is consumed lazily and in order, e.g.
    ``await send_acked(topic.send(key=k, value=v) for k, v in records)``.

    With ``return_exceptions`` a failed acknowledgement takes its record's place in the result
    instead of being raised, so a caller can count per-record failures (like
    :func:`asyncio.gather`); a send that cannot even be queued still raises.
    """
    pending = [await send for send in sends]
    # Every acknowledgement is awaited, even after a failure, so none is left unretrieved.
    settled: list[T | Exception] = []
    for ack in pending:
        try:
            settled.append(await ack)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, or raised below
            settled.append(exc)
    if not return_exceptions:
        failed = next((r for r in settled if isinstance(r, Exception)), None)
        if failed is not None:
            raise failed
    return settled


__all__ = ["send_acked"]
