"""Dead letters of the worker's agents: a message that cannot be processed, with its original bytes."""

from __future__ import annotations

from datetime import UTC, datetime

from faust.types import Message

from streams.domain.records import DeadLetter


def dead_letter(
    raw: bytes,
    message: Message,
    reason: str,
    error: str,
    where: str | None = None,
    now: datetime | None = None,
) -> DeadLetter:
    """A ``form4.dead_letter/1`` record of ``raw`` as read from ``message``, ready to replay."""
    key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else message.key
    return DeadLetter(
        reason=reason,
        error=error,
        where=where,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
        source_key=key,
        original_b64=DeadLetter.encode_original(raw),
        original_size=len(raw),
        failed_at=now or datetime.now(UTC),
    )


def place(message: Message) -> str:
    """Where a message was read, as logs show it: ``topic[partition]@offset``."""
    return f"{message.topic}[{message.partition}]@{message.offset}"


def log_context(message: Message) -> dict[str, object]:
    """The same place as fields of JSON log lines (streams/worker/logs.py)."""
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset}


__all__ = ["dead_letter", "log_context", "place"]
