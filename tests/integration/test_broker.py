"""The real local broker: lifecycle of LocalBroker, topic creation and a produce/consume round trip."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from streams.adapters.topics_admin import ensure_topics
from streams.config.settings import Settings
from streams.localbroker.broker import BrokerError, BrokerInfo, LocalBroker, free_port
from tests.support.kafka import TopicFactory


def _local_broker(data_dir: Path, port: int | None = None) -> LocalBroker:
    return LocalBroker(Settings(data_dir=data_dir, kafka_bootstrap=f"127.0.0.1:{port or free_port()}"))


def _start_or_skip(broker: LocalBroker) -> BrokerInfo:
    # Same rule as the session fixture: no Java/Maven skips locally but fails in CI.
    try:
        return broker.start()
    except BrokerError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"local broker cannot start: {exc}", pytrace=False)
        pytest.skip(f"local broker cannot start: {exc.message}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalBroker, BrokerInfo]]:
    """A LocalBroker of this module's own (not the session broker), started once, stopped at the end."""
    broker = _local_broker(tmp_path_factory.mktemp("own-broker"))
    info = _start_or_skip(broker)
    yield broker, info
    broker.stop()


def test_second_start_reports_already_running(running: tuple[LocalBroker, BrokerInfo]) -> None:
    """Starting a running broker again returns the same process marked already_running."""
    broker, first = running
    again = broker.start()
    assert again.already_running and not first.already_running
    assert (again.pid, again.port, again.controller_port) == (first.pid, first.port, first.controller_port)


def test_second_start_from_a_fresh_object_reports_already_running(
    running: tuple[LocalBroker, BrokerInfo],
) -> None:
    """A new LocalBroker on the same data dir (as a second CLI call would be) finds the running broker."""
    broker, first = running
    again = LocalBroker(broker.settings).start()
    assert again.already_running and again.pid == first.pid


def test_status_is_up_while_running(running: tuple[LocalBroker, BrokerInfo]) -> None:
    """status() of a running broker is up with its pid, port and an uptime."""
    broker, info = running
    status = broker.status()
    assert status.up and status.pid == info.pid and status.port == info.port
    assert status.uptime_seconds is not None


def test_second_instance_on_the_busy_port_raises(
    running: tuple[LocalBroker, BrokerInfo], tmp_path: Path
) -> None:
    """Another LocalBroker (other data dir) on the running broker's port: a BrokerError naming the port."""
    _, info = running
    with pytest.raises(BrokerError, match=f"port {info.port} .*already in use"):
        _local_broker(tmp_path, info.port).start(timeout=10)


def test_stop_makes_status_down_and_a_second_stop_is_harmless(tmp_path: Path) -> None:
    """stop() ends the broker process, status() is then down, and stopping again returns None."""
    broker = _local_broker(tmp_path)
    info = _start_or_skip(broker)
    assert broker.stop() == info.pid
    assert broker.status().state == "down"
    assert not broker.pid_file.exists() and not broker.state_file.exists()
    assert not Path(f"/proc/{info.pid}").exists()
    assert broker.stop() is None


def test_restart_reuses_the_formatted_storage(tmp_path: Path) -> None:
    """A stopped broker starts again on its data dir, keeping the cluster id it was formatted with."""
    broker = _local_broker(tmp_path)
    _start_or_skip(broker)
    meta = (broker.kraft_dir / "meta.properties").read_text()
    broker.stop()
    try:
        again = broker.start()
        assert not again.already_running and broker.status().up
        assert (broker.kraft_dir / "meta.properties").read_text() == meta
    finally:
        broker.stop()


async def test_produce_consume_round_trip(kafka_bootstrap: str, kafka_topics: TopicFactory) -> None:
    """Records produced with aiokafka are consumed back in order with their keys."""
    (topic,) = await kafka_topics("roundtrip")
    sent = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(5)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for key, value in sent:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    received: list[tuple[bytes | None, bytes | None]] = []
    try:
        while len(received) < len(sent):
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, "no records arrived within 10 s"
            received += [(r.key, r.value) for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    assert received == sent


async def test_ensure_topics_creates_the_configured_partitions(kafka_bootstrap: str) -> None:
    """ensure_topics creates every form4 topic with topic_partitions partitions once, then creates nothing."""
    suffix = uuid.uuid4().hex[:10]
    topic_fields = {
        name: f"{field.default}.{suffix}"
        for name, field in Settings.model_fields.items()
        if name.startswith("topic_") and isinstance(field.default, str)
    }
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_partitions=3, **topic_fields)

    created = await ensure_topics(settings)
    assert sorted(created) == sorted(settings.all_topics)
    assert await ensure_topics(settings) == []

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(settings.all_topics))
        assert {t["topic"]: len(t["partitions"]) for t in described} == dict.fromkeys(settings.all_topics, 3)
        await admin.delete_topics(list(settings.all_topics))
    finally:
        await admin.close()
