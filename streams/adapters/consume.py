"""Reading a topic from the beginning to its current end: for reports, tests and ``--from-beginning``."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from streams.adapters.kafka_security import client_kwargs, start_checked
from streams.config.settings import Settings


async def read_all(
    settings: Settings, topic: str, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` up to the end offsets seen at the start, in partition order."""
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await start_checked(consumer, settings)
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - first metadata fetch is lazy
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[ConsumerRecord[bytes, bytes]] = []
        remaining = {tp for tp in tps if end[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=int(timeout * 1000))
            if not batch:
                raise TimeoutError(
                    f"no records from {topic} within {timeout}s; still waiting on {sorted(remaining)}"
                )
            for tp, records in batch.items():
                out.extend(r for r in records if r.offset < end[tp])
                if records and records[-1].offset >= end[tp] - 1:
                    remaining.discard(tp)
        # Fetches return partitions in whatever order the broker answered: sort, as documented, so two
        # reads of an unchanged topic are equal lists (test_dlq compared them and failed once).
        out.sort(key=lambda r: (r.partition, r.offset))
        return out
    finally:
        await consumer.stop()
