"""The Kafka broker of the integration tests, found or started once per session.

Order: ``FORM4_KAFKA_BOOTSTRAP`` if set -> a testcontainers ``apache/kafka`` container when a Docker
engine answers -> :class:`streams.localbroker.broker.LocalBroker` (jars from Maven) on free ports in a
temporary data dir. When none works the tests skip with the reason, or fail when ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from streams.adapters.topics_admin import ensure_topics, wait_for_broker
from streams.config.settings import Settings
from streams.localbroker.broker import BrokerError, LocalBroker, free_port

#: One line describing the session's broker (and its startup time), shown in the terminal summary.
BROKER_SUMMARY = pytest.StashKey[str]()

TopicFactory = Callable[..., Awaitable[tuple[str, ...]]]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # no SDK, no socket, no permission, old engine: all mean "no Docker"
        return False


def _container_broker(version: str) -> Iterator[str]:
    """Yield the bootstrap of an ``apache/kafka`` KRaft container; stop it afterwards.

    testcontainers' KafkaContainer drives Confluent-only start scripts, so the official image runs
    as a generic container; its host port is fixed up front because it must be advertised.
    """
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.docker_client import DockerClient

    host, port = DockerClient().host(), free_port()
    container = (
        DockerContainer(f"apache/kafka:{version}")
        .with_bind_ports(9092, port)
        .with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS="PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://{host}:{port}",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        )
    )
    container.start()
    try:
        bootstrap = f"{host}:{port}"
        asyncio.run(wait_for_broker(bootstrap, timeout=120))
        yield bootstrap
    finally:
        container.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers ("host:port") of a Kafka broker that lives for the whole test session."""
    env = os.environ.get("FORM4_KAFKA_BOOTSTRAP")
    if env:
        pytestconfig.stash[BROKER_SUMMARY] = f"FORM4_KAFKA_BOOTSTRAP={env} (not started by the tests)"
        yield env
        return
    reasons: list[str] = []
    version = Settings().kafka_version
    if _docker_answers():
        try:
            containers = _container_broker(version)
            bootstrap = next(containers)
        except Exception as exc:  # fall back to the jar broker rather than give up
            reasons.append(f"docker: {exc!r}")
        else:
            pytestconfig.stash[BROKER_SUMMARY] = f"apache/kafka:{version} container at {bootstrap}"
            try:
                yield bootstrap
            finally:
                containers.close()
            return
    else:
        reasons.append("docker: no engine answered")
    data_dir: Path = tmp_path_factory.mktemp("kafka")
    # Free ports, so a developer's own broker on 9092 is never touched.
    broker = LocalBroker(Settings(data_dir=data_dir, kafka_bootstrap=f"127.0.0.1:{free_port()}"))
    try:
        info = broker.start(timeout=180)
    except BrokerError as exc:
        reasons.append(f"local broker: {exc}")
    else:
        pytestconfig.stash[BROKER_SUMMARY] = (
            f"local Kafka {info.kafka_version} jar broker at {info.bootstrap}, "
            f"started in {info.startup_seconds:.1f}s (log {info.log_path})"
        )
        try:
            yield info.bootstrap
        finally:
            broker.stop()
        return
    reason = "no Kafka broker available: " + "; ".join(reasons)
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest_asyncio.fixture
async def kafka_topics(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """Factory ``await kafka_topics("raw", "out", partitions=2)``: unique topic names, deleted afterwards."""
    made: list[str] = []

    async def make(*bases: str, partitions: int = 1) -> tuple[str, ...]:
        names = tuple(f"{base}.{uuid.uuid4().hex[:12]}" for base in (bases or ("test",)))
        settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=partitions)
        await ensure_topics(settings, names)
        made.extend(names)
        return names

    yield make
    if made:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            await admin.start()
            await admin.delete_topics(made)
        except Exception:  # cleanup is best effort; the names are unique and never clash
            pass
        finally:
            await admin.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say which broker the session used and how long it took to start."""
    summary = config.stash.get(BROKER_SUMMARY, None)
    if summary:
        terminalreporter.write_sep("-", "kafka broker")
        terminalreporter.write_line(summary)
