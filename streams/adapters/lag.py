"""Consumer-group lag of the worker: committed offset vs end offset per topic partition.

Works against any bootstrap servers, whether or not a worker runs: it asks the group coordinator for
the committed offsets and a group-less consumer for the end offsets (the admin client has no
ListOffsets).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import stamina
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from streams.adapters.kafka_security import client_kwargs, start_checked
from streams.adapters.webhook_feed import subscriber_group
from streams.config.settings import Settings


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    """``None`` when the group has committed nothing for this partition yet."""
    end: int
    lag: int


@dataclass(frozen=True)
class GroupLag:
    group: str
    partitions: list[PartitionLag]

    @property
    def total_lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    def to_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "partitions": [asdict(p) for p in self.partitions],
            "total_lag": self.total_lag,
        }


async def group_lag(
    settings: Settings, topics: list[str] | None = None, group: str | None = None
) -> GroupLag:
    """Lag of ``group`` (default: the worker's, ``FORM4_APP_ID``) on the source topics."""
    group = group or settings.app_id
    topics = topics or [settings.topic_raw, settings.topic_parsed]
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    try:
        await start_checked(admin, settings)  # refused credentials/TLS: KafkaAccessError, not retried
    except BaseException:
        await admin.close()
        raise
    # Built only once Kafka let the admin in: a consumer never started warns "Unclosed" at exit.
    consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        meta = await admin.describe_topics(topics)
        tps = [
            TopicPartition(t["topic"], p["partition"])
            for t in meta
            if not t.get("error_code")
            for p in t["partitions"]
        ]
        committed = await admin.list_consumer_group_offsets(group, partitions=tps) if tps else {}
        end = await consumer.end_offsets(tps) if tps else {}
        begin = await consumer.beginning_offsets(tps) if tps else {}
        rows = []
        for tp in sorted(tps, key=lambda t: (t.topic, t.partition)):
            meta_off = committed.get(tp)
            off = meta_off.offset if meta_off is not None and meta_off.offset >= 0 else None
            lag = max(0, end[tp] - (begin[tp] if off is None else off))
            rows.append(PartitionLag(tp.topic, tp.partition, off, end[tp], lag))
        return GroupLag(group, rows)
    finally:
        await consumer.stop()
        await admin.close()


def is_retryable_lag_error(exc: Exception) -> bool:
    """Whether reading the lag should try again: the one retry predicate of this adapter.

    Kafka's retriable errors mean "not yet", not "no": a fresh broker creates its offsets topic on
    the first coordinator lookup and answers GroupCoordinatorNotAvailable meanwhile.
    """
    return isinstance(exc, KafkaError) and bool(exc.retriable)


async def group_lag_retrying(
    settings: Settings, topics: list[str] | None = None, group: str | None = None, patience: float = 30.0
) -> GroupLag:
    """:func:`group_lag`, tried again every half second for up to ``patience`` seconds while
    :func:`is_retryable_lag_error`; the last error is raised after that."""
    async for attempt in stamina.retry_context(
        on=is_retryable_lag_error,
        attempts=None,  # bounded by the patience
        timeout=patience,
        wait_initial=0.5,  # a steady poll: the coordinator is ready when it is, no need to back off
        wait_max=0.5,
        wait_jitter=0.0,
    ):
        with attempt:
            return await group_lag(settings, topics=topics, group=group)
    raise AssertionError("unreachable: stamina returns or re-raises the last error")


@dataclass(frozen=True)
class SubscriberBacklog:
    """A webhook subscriber's backlog: the lag of its own consumer group on the alerts topic."""

    subscriber: str
    lag: GroupLag

    @property
    def backlog(self) -> int:
        return self.lag.total_lag

    def to_dict(self) -> dict[str, object]:
        return {"subscriber": self.subscriber, "backlog": self.backlog} | self.lag.to_dict()


async def webhook_backlogs(settings: Settings, patience: float = 30.0) -> list[SubscriberBacklog]:
    """The backlog of every subscriber of ``FORM4_WEBHOOKS``: alerts its group has not committed past
    (not yet delivered nor dead-lettered)."""
    return [
        SubscriberBacklog(
            sub.label,
            await group_lag_retrying(
                settings, [settings.topic_alerts], subscriber_group(settings, sub), patience=patience
            ),
        )
        for sub in settings.webhooks
    ]


def format_backlogs(backlogs: list[SubscriberBacklog], topic: str) -> str:
    lines = [f"webhook subscribers on {topic}", f"{'subscriber':<24}{'group':<48}{'backlog':>10}"]
    for b in backlogs:
        lines.append(f"{b.subscriber:<24}{b.lag.group:<48}{b.backlog:>10}")
    return "\n".join(lines)


def format_table(lag: GroupLag) -> str:
    lines = [f"group {lag.group}", f"{'topic':<28}{'partition':>10}{'committed':>12}{'end':>12}{'lag':>10}"]
    for p in lag.partitions:
        committed = "-" if p.committed is None else str(p.committed)
        lines.append(f"{p.topic:<28}{p.partition:>10}{committed:>12}{p.end:>12}{p.lag:>10}")
    lines.append(f"{'total lag':<62}{lag.total_lag:>10}")
    return "\n".join(lines)
