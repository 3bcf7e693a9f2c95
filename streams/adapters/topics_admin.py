"""Topic administration with aiokafka's admin client: wait for a broker, create the form4 topics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import stamina
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from streams.adapters.kafka_security import KafkaAccessError, client_kwargs, start_checked
from streams.config.settings import Settings, get_settings


class TopicAdminError(RuntimeError):
    """The broker cannot be reached or refused to create a topic; the message is one line."""


class TopicRefused(TopicAdminError):
    """The broker answered but would not create a topic (replication factor, policy): a configuration
    problem, unlike a broker that cannot be reached."""


class BrokerNotReady(Exception):
    """The cluster answered but lists no live broker yet (a KRaft node not yet unfenced)."""


def is_retryable_broker_error(exc: Exception) -> bool:
    """Whether waiting for a broker should try again: the one retry predicate of topic administration.

    While a broker starts, anything may come back: refused connections, timeouts, any Kafka error
    (coordinator not available, not controller ...) and a cluster without live brokers. A broker
    that refuses our credentials or TLS settings will not change its mind: that is final.
    """
    if isinstance(exc, KafkaAccessError):
        return False
    return isinstance(exc, KafkaError | OSError | TimeoutError | BrokerNotReady)


async def _describe_live_cluster(
    bootstrap: str | list[str], deadline: float, settings: Settings | None
) -> dict[str, object]:
    security = client_kwargs(settings) if settings is not None else {}
    admin = AIOKafkaAdminClient(**{**security, "bootstrap_servers": bootstrap}, request_timeout_ms=5000)
    try:
        # aiokafka's bootstrap retries on its own; the outer wait_for keeps the deadline ours.
        started = start_checked(admin, settings) if settings is not None else admin.start()
        await asyncio.wait_for(started, timeout=max(0.1, deadline - time.monotonic()))
        cluster: dict[str, object] = await admin.describe_cluster()
        if not cluster.get("brokers"):
            raise BrokerNotReady("the cluster lists no live broker yet")
        return cluster
    finally:
        await admin.close()


async def wait_for_broker(
    bootstrap: str | list[str], timeout: float = 60.0, settings: Settings | None = None
) -> dict[str, object]:
    """Poll ``bootstrap`` until a broker answers a cluster-metadata request listing a live broker.

    Connects with the security settings of ``settings`` when given (else PLAINTEXT). Returns
    aiokafka's ``describe_cluster()`` answer; raises TopicAdminError after ``timeout``, and
    KafkaAccessError at once when the broker refuses us.
    """
    deadline = time.monotonic() + timeout
    try:
        async for attempt in stamina.retry_context(
            on=is_retryable_broker_error,
            attempts=None,  # bounded by the timeout
            timeout=timeout,
            wait_initial=0.5,  # a steady poll: a starting broker is ready when it is, no need to back off
            wait_max=0.5,
            wait_jitter=0.0,
        ):
            with attempt:
                return await _describe_live_cluster(bootstrap, deadline, settings)
    except Exception as exc:  # the last retryable error after the timeout, or one not worth retrying
        if not is_retryable_broker_error(exc):
            raise
        raise TopicAdminError(
            f"no Kafka broker answered at {bootstrap} within {timeout:.0f}s ({exc!r})"
        ) from exc
    raise AssertionError("unreachable: stamina returns or re-raises the last error")


async def _start(admin: AIOKafkaAdminClient, settings: Settings) -> None:
    """Start ``admin``; a refusal (KafkaAccessError) passes as it is, anything else is "cannot reach"."""
    try:
        await asyncio.wait_for(start_checked(admin, settings), timeout=30)
    except KafkaAccessError:
        raise
    except (KafkaError, OSError, TimeoutError) as exc:
        raise TopicAdminError(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc!r}") from exc


async def ensure_topics(
    settings: Settings | None = None, names: Iterable[str] | None = None, *, compact: bool = False
) -> list[str]:
    """Create ``names`` (default: ``settings.all_topics``) if missing; returns the ones created now.

    Uses ``settings.topic_partitions`` and ``settings.topic_replication``; a topic that already
    exists (also one created concurrently by someone else) is left as it is.
    """
    settings = settings or get_settings()
    wanted = list(dict.fromkeys(names if names is not None else settings.all_topics))
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=15000)
    try:
        await _start(admin, settings)
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        # Raw filings (and the parsed records and dead letters that carry them) may exceed Kafka's
        # 1 MB default message size, up to FORM4_MAX_FILING_BYTES.
        limit = {"max.message.bytes": str(settings.max_message_bytes)}
        if compact:
            limit["cleanup.policy"] = "compact"
        new = [
            NewTopic(n, settings.topic_partitions, settings.topic_replication, topic_configs=limit)
            for n in missing
        ]
        response = await admin.create_topics(new)
        created: list[str] = []
        for entry in response.topic_errors:
            topic, code = entry[0], entry[1]
            if code == 0:
                created.append(topic)
            elif for_code(code) is not TopicAlreadyExistsError:
                message = entry[2] if len(entry) > 2 and entry[2] else for_code(code).__name__
                raise TopicRefused(f"creating topic {topic!r} failed: {message}")
        return created
    finally:
        await admin.close()


async def list_topics(settings: Settings | None = None, *, internal: bool = False) -> list[str]:
    """Sorted topic names on the broker; Kafka's ``__``-prefixed internal topics only when asked."""
    settings = settings or get_settings()
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=15000)
    try:
        await _start(admin, settings)
        names = await admin.list_topics()
    finally:
        await admin.close()
    return sorted(n for n in names if internal or not n.startswith("__"))


__all__ = [
    "BrokerNotReady",
    "TopicAdminError",
    "TopicRefused",
    "ensure_topics",
    "is_retryable_broker_error",
    "list_topics",
    "wait_for_broker",
]
