"""One record that always fails must not stop its partition: retry it, then dead-letter it.

Every agent runs its per-message handler through :meth:`PoisonGuard.run`. An exception is either

* an **infrastructure** error (Kafka, a failed acknowledgement, the disk, memory): the worker stops
  without acknowledging the message (:func:`streams.worker.crash.die_unacked`), its supervisor restarts
  it and the message is processed again, so nothing is lost while the broker or disk is away; or
* anything else, a **processing** error: most likely a bug that this record triggers every time. The
  handler is run again at once, up to ``FORM4_MAX_RECORD_ATTEMPTS`` times in all; if it still fails,
  the record goes to the dead-letter topic (``reason: processing_error``, the stage, the exception and
  the original bytes, ready to replay after a fix) and the partition moves on.

The attempts are counted in memory, per message: a restart in between starts the count again, which
only costs a few more attempts (a processing error does not restart the worker by itself). Handlers are
idempotent (at-least-once), so running one again after a failure part-way is safe; the ledger rolls
back a failed apply (``streams.domain.journal``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError
from faust.types import Message

from streams.adapters.acks import send_acked
from streams.config.settings import Settings
from streams.worker.crash import die_unacked
from streams.worker.dead_letters import dead_letter, log_context, place
from streams.worker.metrics import Metrics
from streams.worker.topics import Send

log = logging.getLogger(__name__)

Stage = Literal["parse", "positions", "webhooks"]
"""The agent whose handler failed."""

PROCESSING_ERROR = "processing_error"


class Consumed(Protocol):
    """A consumed record's place: a Faust ``Message`` or an aiokafka ``ConsumerRecord`` (webhook feeds)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> Any: ...


INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    KafkaError,  # aiokafka: broker unreachable, request timed out, a failed acknowledgement
    ProducerSendError,  # Faust's wrapper of a failed send
    OSError,  # disk (RocksDB files, the data dir), sockets, TimeoutError
    MemoryError,  # the process, not the record, is in trouble: a restart is the remedy
)


def is_infrastructure(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised ``from``, is an infrastructure error.

    Only explicit causes count: an error raised while merely handling an ``OSError`` (its implicit
    ``__context__``) is the handler's own failure, not the broker's or the disk's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, INFRASTRUCTURE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """``decimal.Overflow``, ``ValueError``: the exception's type as a reader can look it up."""
    kind = type(exc)
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"


@dataclass
class PoisonGuard:
    """The exception path of one agent's per-message loop (see the module docstring)."""

    stage: Stage
    settings: Settings
    send: Send
    metrics: Metrics | None = None
    die: Callable[[Consumed, BaseException], None] = cast(
        Callable[[Consumed, BaseException], None], die_unacked
    )
    """Stops the worker unacknowledged (replaced in tests)."""
    failures: int = field(default=0, init=False)
    """Records dead-lettered by this guard since the start (for tests and logs)."""

    async def run(self, raw: bytes | None, consumed: Consumed, handle: Callable[[], Awaitable[None]]) -> None:
        """Run ``handle`` for the record ``raw`` read at ``consumed``; never raises a processing error."""
        # The place helpers read only topic/partition/offset/key, which both record types have.
        message = cast(Message, consumed)
        attempts = self.settings.max_record_attempts
        ctx = log_context(message) | {"stage": self.stage}
        last: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                await handle()
                return
            except Exception as exc:  # noqa: BLE001 - sorted below: infrastructure stops, the rest is retried
                if is_infrastructure(exc):
                    self.die(message, exc)
                    return  # only reached when ``die`` does not exit (tests)
                last = exc
                log.warning(
                    "%s failed on %s (attempt %d of %d): %s: %s",
                    self.stage,
                    place(message),
                    attempt,
                    attempts,
                    describe(exc),
                    exc,
                    exc_info=exc if attempt == 1 else None,  # one traceback per record is enough
                    extra=ctx | {"attempt": attempt},
                )
        assert last is not None
        await self._dead_letter(raw or b"", message, last, attempts, ctx)  # a tombstone has no value

    async def _dead_letter(
        self, raw: bytes, message: Message, exc: Exception, attempts: int, ctx: dict[str, object]
    ) -> None:
        kind = describe(exc)
        letter = dead_letter(raw, message, PROCESSING_ERROR, f"{kind}: {exc}"[:2000]).model_copy(
            update={"stage": self.stage, "exception": kind, "attempts": attempts}
        )
        try:
            # Acknowledged before the offset may be committed: a dead letter is never lost.
            await send_acked([self.send(self.settings.topic_dlq, message.key, letter.to_json())])
        except Exception as send_exc:  # noqa: BLE001 - the dead letter itself failed: keep the record
            self.die(message, send_exc)
            return
        self.failures += 1
        if self.metrics is not None:
            self.metrics.dead_letters.labels(PROCESSING_ERROR).inc()
        log.error(
            "dead letter %s: %s failed %d times (%s: %s); sent to %s, the partition moves on",
            place(message),
            self.stage,
            attempts,
            kind,
            exc,
            self.settings.topic_dlq,
            extra=ctx | {"reason": PROCESSING_ERROR, "exception": kind},
        )


__all__ = [
    "INFRASTRUCTURE_ERRORS",
    "PROCESSING_ERROR",
    "Consumed",
    "PoisonGuard",
    "Stage",
    "describe",
    "is_infrastructure",
]
