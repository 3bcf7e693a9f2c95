"""Every topic of the worker, declared once per app. Values are bytes (``value_serializer="raw"``):
records are decoded in the agents with pydantic, never by Faust (pydantic models are not Faust
``value_type``s).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import faust
from faust.types import ProducerT, TopicT

from streams.config.settings import Settings


class Send(Protocol):
    """Queue one record on a topic (by name); awaiting what it returns waits for Kafka's acknowledgement.

    The agents' handlers take one of these, so tests can record what they send and decide when (or
    whether) each acknowledgement resolves.
    """

    def __call__(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Awaitable[Any]]: ...


Hurry = Callable[[], Awaitable[None]]
"""Have the producer send what it holds now, not at the end of its linger (:meth:`Topics.hurry`)."""

_BUFFER_TURNS = 100
"""How many loop turns :meth:`Topics.hurry` gives Faust's buffer to hand its table writes on."""


@dataclass(frozen=True)
class Topics:
    """The worker's topics (names from :class:`Settings`)."""

    app: faust.App
    """Whose producer :meth:`send` hands each record (``app.maybe_start_producer``, looked up per send,
    so a test can replace it)."""
    raw_filings: TopicT
    parsed_filings: TopicT
    backfill_filings: TopicT
    """Raw filings of the backfill lane (see :mod:`streams.worker.lanes`)."""
    parsed_backfill_filings: TopicT
    transactions: TopicT
    alerts: TopicT
    dead_letters: TopicT
    webhook_dead_letters: TopicT

    def all(self) -> tuple[TopicT, ...]:
        """Every topic, in the order of ``Settings.all_topics``."""
        return (
            self.raw_filings,
            self.parsed_filings,
            self.backfill_filings,
            self.parsed_backfill_filings,
            self.transactions,
            self.alerts,
            self.dead_letters,
            self.webhook_dead_letters,
        )

    def send(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Awaitable[Any]]:
        """The worker's :class:`Send`: the record to the app's producer; returns its acknowledgement.

        Every record carries Kafka headers naming its contract, so a consumer can route or skip records
        without parsing them: ``schema`` (e.g. ``form4.alert/1``) and ``content-type``.

        Straight to Faust's producer, not through ``Topic.send`` (issue 12): that path wraps each record
        in a pending message and a future with callbacks and sensor calls, 8% of the worker's CPU in
        py-spy for a few records per filing. Same producer (acks, linger, idempotence), same default
        partitioner on the key, same acknowledgement future; Faust's ``topic_messages_sent`` sensor
        no longer counts these records (our ``form4_*`` counters do).
        """
        if topic not in self.names:
            # Only our own topic names come from Settings; anything else is a wiring bug.
            raise KeyError(f"not a topic of this worker: {topic!r}")
        return self._produce(topic, key, value)

    async def _produce(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Any]:
        producer: ProducerT = await self.app.maybe_start_producer()
        return await producer.send(topic, key, value, None, None, record_headers(value) or None)

    async def send_now(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Any]:
        """:meth:`send`, then :meth:`hurry`: a record sent on its own and waited for (``POST /filings``)."""
        ack = await self.send(topic, key, value)
        await self.hurry()
        return ack

    async def hurry(self) -> None:
        """Have the producer send every record it holds now, not when its linger runs out.

        The linger (``FORM4_PRODUCER_LINGER_MS``) lets the records of a batch share Kafka requests;
        once a batch is made, the agent waits for its acknowledgements, so waiting out the linger then
        is idle time. Table writes first pass through Faust's producer buffer, which a task of its own
        hands to aiokafka: it gets a few loop turns to do so. Then every open aiokafka batch is closed
        (so it is ready) and the sender woken: what ``AIOKafkaProducer``'s own ``flush_for_commit``
        does, without its wait (aiokafka 0.14.0 internals, pinned).
        """
        producer = self.app.producer
        buffer = producer.buffer
        for _ in range(_BUFFER_TURNS):
            if not buffer.size:
                break
            await asyncio.sleep(0)
        cut_linger(getattr(producer, "_producer", None))

    @cached_property
    def names(self) -> frozenset[str]:
        """The names of every topic."""
        return frozenset(t.get_topic_name() for t in self.all())


def cut_linger(producer: Any) -> None:
    """Make every batch ``producer`` (an ``AIOKafkaProducer``) holds ready to send, and wake its sender.

    A closed batch takes no more records: the next record for its partition starts a new one.
    """
    accumulator = getattr(producer, "_message_accumulator", None)
    if accumulator is None:  # not started yet: nothing held
        return
    for batches in accumulator._batches.values():
        for batch in batches:
            batch._builder.close()
    waiter = accumulator._waiter_future
    if not waiter.done():
        waiter.set_result(None)


_SCHEMA_FIELD = re.compile(rb'^\{"schema":"([a-z0-9_.]+/\d+)"')


def record_headers(value: bytes) -> list[tuple[str, bytes]]:
    """Kafka headers of one of our JSON records: its contract (the leading ``schema`` field) and type.

    Anything else (a raw filing sent on by ``POST /filings``: XML, SGML, HTML or text) gets none rather
    than a wrong content type.
    """
    found = _SCHEMA_FIELD.match(value)
    if not found:
        return []
    return [("schema", found.group(1)), ("content-type", b"application/json")]


def _declare(app: faust.App, settings: Settings, name: str) -> TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
    )


def create_topics(app: faust.App, settings: Settings) -> Topics:
    """Declare the topics of ``settings`` on ``app``."""

    def topic(name: str) -> TopicT:
        return _declare(app, settings, name)

    return Topics(
        app=app,
        raw_filings=topic(settings.topic_raw),
        parsed_filings=topic(settings.topic_parsed),
        backfill_filings=topic(settings.topic_backfill),
        parsed_backfill_filings=topic(settings.topic_parsed_backfill),
        transactions=topic(settings.topic_transactions),
        alerts=topic(settings.topic_alerts),
        dead_letters=topic(settings.topic_dlq),
        webhook_dead_letters=topic(settings.topic_webhook_dlq),
    )


def lane_source(app: faust.App, settings: Settings, live: str, backfill: str) -> TopicT:
    """What an agent reads: its live topic and its backfill topic, as one source.

    Its stream buffer is ``lanes_stream_buffer`` records (not Faust's 4,096): a live record read
    behind backfill records waits for those already buffered (see :mod:`streams.worker.lanes`).
    """
    # faust.Topic itself: app.topic() accepts maxsize but does not pass it on (faust 0.15.3).
    return faust.Topic(
        app,
        topics=[live, backfill],
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
        maxsize=settings.lanes_stream_buffer,
    )


__all__ = ["Send", "Topics", "create_topics", "lane_source", "record_headers"]
