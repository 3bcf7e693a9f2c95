"""Reading a whole topic as it stands, streamed: ``form4 export`` and ``form4 dlq``.

From the beginning of each partition to the end offsets seen at the start, then stop: what arrives
later is not waited for, so an export of a busy topic still ends. Records come partition by
partition in batches, never the whole topic in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from streams.adapters.kafka_security import client_kwargs, start_checked
from streams.config.settings import Settings


class UnknownTopic(LookupError):
    """The topic does not exist on the broker (a configuration error, not an outage)."""


async def iter_topic(
    settings: Settings, topic: str, *, start_timeout: float = 30.0, fetch_timeout: float = 30.0
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` below the end offsets of the start, partition after partition.

    Raises:
        KafkaConnectionError: no broker answered within ``start_timeout``.
        KafkaAccessError: a broker refused us (credentials, TLS), saying why.
        UnknownTopic: the broker has no such topic.
        TimeoutError: a partition stopped delivering records below its end offset for ``fetch_timeout``.
    """
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings),
        group_id=None,  # never joins a group nor commits: readers take nothing from the workers
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=max(1024 * 1024, settings.max_message_bytes),
    )
    try:
        await asyncio.wait_for(start_checked(consumer, settings), timeout=start_timeout)
    except (TimeoutError, KafkaConnectionError) as exc:
        await consumer.stop()
        # aiokafka's message lists resolved addresses; say which setting the user gave instead.
        raise KafkaConnectionError(f"no broker answered at {settings.kafka_bootstrap}") from exc
    except KafkaError:  # refused (KafkaAccessError, which says why) or another broker answer
        await consumer.stop()
        raise
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - first metadata fetch is lazy
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise UnknownTopic(f"topic {topic!r} does not exist at {settings.kafka_bootstrap}")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        for tp in tps:
            # One partition at a time: records of a partition come out in offset order.
            if ends[tp] == 0:
                continue
            consumer.pause(*(other for other in tps if other != tp))
            consumer.resume(tp)
            position = await consumer.position(tp)
            while position < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=int(fetch_timeout * 1000), max_records=500)
                records = batch.get(tp, [])
                if not records:
                    position = await consumer.position(tp)
                    if position >= ends[tp]:
                        break  # the rest were transaction markers or compacted away
                    raise TimeoutError(
                        f"{topic}[{tp.partition}]: no record at offset {position} in {fetch_timeout}s"
                    )
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    yield record
                position = records[-1].offset + 1
    finally:
        await consumer.stop()


__all__ = ["UnknownTopic", "iter_topic"]
