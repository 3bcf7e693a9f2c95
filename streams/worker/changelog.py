"""A batch's table writes straight to the table's store and its changelog record straight to the producer.

Issue 12: a filing writes about 11 table keys (groups 3.7, seen 2, positions 1.4, filings, aliases...;
``/metrics`` of a 3,000-filing run), and each write through the table (``table[key] = value``) sends its
changelog record through Faust's ``send_soon``: a pending message, a future, the producer buffer's
task, sensor calls, per record. :class:`DirectWrites` does what that path does, without it: the value
into the table's store (``table.data``), the record's key and value encoded by the changelog topic's
own serializers (the bytes Faust would send, so recovery reads them alike), handed to the app's
producer for the event's partition, and, once Kafka has it, the offset persisted in the store as
Faust's ``Collection._on_changelog_sent`` does (RocksDB keeps it to resume recovery; a no-op in memory).
Faust's ``keys_updated`` sensor no longer counts these writes.

Used by :class:`streams.worker.batch.WriteBack` for Faust tables; anything else (a dict in a test) is
written as a mapping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, MutableMapping
from functools import partial
from typing import Any, cast

from faust.types import TP, EventT, ProducerT

log = logging.getLogger(__name__)


class DirectWrites:
    """Writes keys of one Faust table: store, then changelog record (see the module's docstring)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.store: MutableMapping[Any, Any] = table.data
        self.topic = table.changelog_topic
        self.topic_name: str = self.topic.get_topic_name()
        self.app = table.app

    @classmethod
    def of(cls, table: MutableMapping[str, Any]) -> DirectWrites | None:
        """For a Faust table (one with a store and a changelog topic); None for any other mapping."""
        if hasattr(table, "changelog_topic") and hasattr(table, "data") and hasattr(table, "app"):
            return cls(table)
        return None

    async def write(
        self, key: str, value: Any, event: EventT[Any] | None, delete: bool = False
    ) -> Awaitable[Any]:
        """Write (or ``delete``) ``key`` in the store and send its changelog record to ``event``'s
        partition; returns Kafka's acknowledgement future. Call with ``event`` as Faust's current event
        (``batch.handling``): RocksDB picks its partition's database from it."""
        if event is None:
            raise TypeError(f"{self.table.name}: a table key is written from a stream event, not {event!r}")
        table, topic = self.table, self.topic
        partition: int = event.message.partition
        key_bytes, _ = topic.prepare_key(key, table.key_serializer, None, None)
        if delete:
            self.store.pop(key, None)
            value_bytes = None
        else:
            value_bytes, _ = topic.prepare_value(value, table.value_serializer, None, None)
            self.store[key] = value
        producer: ProducerT = await self.app.maybe_start_producer()
        future = cast(
            "asyncio.Future[Any]",
            await producer.send(self.topic_name, key_bytes, value_bytes, partition, None, None),
        )
        future.add_done_callback(partial(self._sent, partition))
        return future

    def _sent(self, partition: int, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            # The batch's barrier (or the markers' own wait) raises it; logged here for the writes no
            # one waits for (the parse agent's seen markers: a lost one means a redelivery is parsed again).
            log.warning("changelog record of %s[%d] not written: %r", self.topic_name, partition, exc)
            return
        self.store.set_persisted_offset(TP(self.topic_name, partition), future.result().offset)  # type: ignore[attr-defined]


__all__ = ["DirectWrites"]
