"""Consumer-group lag: committed offset vs end offset per topic partition, of the worker or any group.

Works against any bootstrap servers, whether or not a worker runs: it asks the group coordinator for
the committed offsets and a group-less consumer for the end offsets (the admin client has no
ListOffsets).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

import stamina
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from streams.adapters.kafka_security import KafkaAccessError, client_kwargs, start_checked
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


class LagRequestError(ValueError):
    """What was asked for does not exist on the broker: a consumer group or a topic (a usage error)."""


class KafkaUnreachable(KafkaConnectionError):  # type: ignore[misc]  # aiokafka.errors is untyped
    """No broker answered at the bootstrap servers within the timeout: final for this reading.

    Not retriable, unlike aiokafka's own connection errors inside a conversation with a broker that is
    there (a coordinator moving): with nobody listening, waiting longer only delays the answer.
    """

    retriable = False


async def _started(client: Any, settings: Settings, timeout: float | None) -> None:
    """Start ``client`` within ``timeout`` seconds; nobody answering is :class:`KafkaUnreachable`."""
    try:
        await asyncio.wait_for(start_checked(client, settings), timeout)
    except KafkaAccessError:
        raise  # Kafka answered and refused us: said as such
    except (KafkaConnectionError, OSError, TimeoutError) as exc:
        within = f" within {timeout:g}s" if timeout is not None else ""
        raise KafkaUnreachable(f"no broker answered at {settings.kafka_bootstrap}{within}") from exc


async def _group_names(admin: AIOKafkaAdminClient) -> set[str]:
    return {str(entry[0]) for entry in await admin.list_consumer_groups()}


async def _existing_topics(admin: AIOKafkaAdminClient, topics: list[str]) -> tuple[list[Any], list[str]]:
    """(describe_topics entries of the topics that exist, names of those that do not).

    Described only once listed: a metadata request naming a missing topic would have a broker with
    auto.create.topics.enable create it.
    """
    existing = set(await admin.list_topics()) if topics else set()
    missing = [t for t in topics if t not in existing]
    present = [t for t in topics if t in existing]
    meta = await admin.describe_topics(present) if present else []
    return [t for t in meta if not t.get("error_code")], missing


async def group_lag(
    settings: Settings,
    topics: list[str] | None = None,
    group: str | None = None,
    *,
    strict: bool = False,
    timeout: float | None = None,
) -> GroupLag:
    """Lag of a consumer group, per partition.

    Without ``group``: the worker's (``FORM4_APP_ID``) on ``topics`` or its source topics. With
    ``group``: that group's lag on ``topics`` or, when none are given, on every topic it has committed
    offsets for (its own topics, whatever they are: a webhook subscriber's group reads the alerts).

    ``strict`` (what a user asked for must exist): a topic that does not exist, or a ``group`` the
    broker does not know, is a :class:`LagRequestError` instead of an empty answer. ``timeout`` bounds
    reaching the broker (connecting, each request): with nobody answering, :class:`KafkaUnreachable`.
    """
    asked_group = group is not None
    own_topics = asked_group and not topics
    group = group or settings.app_id
    wanted = list(topics or settings.source_topics)
    extra = {} if timeout is None else {"request_timeout_ms": max(1, int(timeout * 1000))}
    admin = AIOKafkaAdminClient(**client_kwargs(settings), **extra)
    try:
        await _started(admin, settings, timeout)  # refused credentials/TLS: KafkaAccessError
    except BaseException:
        await admin.close()
        raise
    # Built only once Kafka let the admin in: a consumer never started warns "Unclosed" at exit.
    consumer = AIOKafkaConsumer(**client_kwargs(settings), **extra, group_id=None, enable_auto_commit=False)
    try:
        await _started(consumer, settings, timeout)
        ever: dict[TopicPartition, Any] = {}
        if asked_group and (own_topics or strict):
            ever = await admin.list_consumer_group_offsets(group)  # every partition it ever committed
        if strict and asked_group and not ever and group not in await _group_names(admin):
            raise LagRequestError(f"no consumer group {group!r} on Kafka at {settings.kafka_bootstrap}")
        if own_topics:
            wanted = sorted({tp.topic for tp in ever})
        meta, missing = await _existing_topics(admin, wanted)
        # A topic the group once read may since have been deleted: only asked-for topics must exist.
        if strict and missing and not own_topics:
            raise LagRequestError(
                f"topic {missing[0]!r} does not exist on Kafka at {settings.kafka_bootstrap}"
            )
        tps = [TopicPartition(t["topic"], p["partition"]) for t in meta for p in t["partitions"]]
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
    settings: Settings,
    topics: list[str] | None = None,
    group: str | None = None,
    patience: float = 30.0,
    *,
    strict: bool = False,
    timeout: float | None = None,
) -> GroupLag:
    """:func:`group_lag`, tried again every half second for up to ``patience`` seconds while
    :func:`is_retryable_lag_error` (a broker that answers "not yet"); the last error is raised after
    that. Nobody answering within ``timeout`` is final at once (:class:`KafkaUnreachable`)."""
    async for attempt in stamina.retry_context(
        on=is_retryable_lag_error,
        attempts=None,  # bounded by the patience
        timeout=patience,
        wait_initial=0.5,  # a steady poll: the coordinator is ready when it is, no need to back off
        wait_max=0.5,
        wait_jitter=0.0,
    ):
        with attempt:
            return await group_lag(settings, topics=topics, group=group, strict=strict, timeout=timeout)
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


async def webhook_backlogs(
    settings: Settings, patience: float = 30.0, timeout: float | None = None
) -> list[SubscriberBacklog]:
    """The backlog of every subscriber of ``FORM4_WEBHOOKS``: alerts its group has not committed past
    (not yet delivered nor dead-lettered). A new subscriber's group may not exist yet: not an error."""
    return [
        SubscriberBacklog(
            sub.label,
            await group_lag_retrying(
                settings,
                [settings.topic_alerts],
                subscriber_group(settings, sub),
                patience=patience,
                timeout=timeout,
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
