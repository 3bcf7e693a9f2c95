"""Test doubles of the worker's collaborators: a recording sender whose acknowledgements the test controls."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from faust.types import Message

from streams.config.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "filings"


class AckFailed(Exception):
    """What a failing fake acknowledgement raises (a stand-in for Kafka's delivery errors)."""


@dataclass(frozen=True)
class Ack:
    """The record metadata an acknowledgement resolves to (the fields our code reads)."""

    topic: str
    partition: int
    offset: int


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    ack: asyncio.Future[Ack]

    def json(self) -> Any:
        return orjson.loads(self.value)


@dataclass
class RecordingSender:
    """A :class:`streams.worker.topics.Send` that records every record.

    ``acks="auto"`` resolves each acknowledgement at once, ``"fail"`` fails each one, ``"manual"``
    leaves them pending until the test calls :meth:`resolve` (to check what happens before Kafka answers).
    """

    acks: str = "auto"
    sent: list[Sent] = field(default_factory=list)

    async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Ack]:
        ack: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self.sent.append(Sent(topic, key, value, ack))
        if self.acks == "auto":
            ack.set_result(Ack(topic, 0, len(self.sent) - 1))
        elif self.acks == "fail":
            ack.set_exception(AckFailed(f"no acknowledgement for {topic}"))
        return ack

    def resolve(self, index: int) -> None:
        self.sent[index].ack.set_result(Ack(self.sent[index].topic, 0, index))

    def on(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


def unit_settings(**overrides: Any) -> Settings:
    """Settings of one test: own app id and topic names, whatever the environment says."""
    tag = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "app_id": f"form4-unit-{tag}",
        "topic_raw": f"u{tag}.raw",
        "topic_parsed": f"u{tag}.parsed",
        "topic_backfill": f"u{tag}.backfill",
        "topic_parsed_backfill": f"u{tag}.parsed.backfill",
        "topic_transactions": f"u{tag}.transactions",
        "topic_alerts": f"u{tag}.alerts",
        "topic_dlq": f"u{tag}.dlq",
        "topic_webhook_dlq": f"u{tag}.webhooks.dlq",
        "topic_partitions": 1,
        "store": "memory://",
        "webhooks": (),
        "http_token": None,
    }
    return Settings(**(values | overrides))


def message(
    value: bytes | None,
    *,
    topic: str = "form4.filings.raw",
    key: bytes | None = b"key",
    offset: int = 7,
    partition: int = 1,
) -> Message:
    """A consumed Kafka message as Faust hands it to an agent (``value=None``: a tombstone)."""
    return Message(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=1_700_000_000.0,
        timestamp_type=0,
        headers=[],
        key=key,
        value=value,
        checksum=None,
    )


async def settle() -> None:
    """Let the handler under test run until it waits on something the test controls."""
    for _ in range(20):
        await asyncio.sleep(0)
