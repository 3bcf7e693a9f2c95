"""create_app(settings): the whole worker built in process from a Settings instance."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from streams.worker import tables as tables_module
from streams.worker.app import Form4Worker, create_app
from streams.worker.tables import TABLE_NAMES, changelog_topics
from tests.unit.worker.fakes import FIXTURES, unit_settings


def build(**overrides: Any) -> Form4Worker:
    # A registry per app: Faust's sensors and ours cannot be registered twice in one registry.
    return create_app(unit_settings(**overrides), CollectorRegistry())


def test_topics_tables_and_agents_follow_the_settings() -> None:
    worker = build(topic_partitions=3, cluster_min_insiders=2)
    s, app = worker.settings, worker.app
    assert [t.get_topic_name() for t in worker.topics.all()] == list(s.all_topics)
    assert worker.topics.webhook_dead_letters.get_topic_name() == s.topic_webhook_dlq
    assert {t.partitions for t in worker.topics.all()} == {3}
    assert set(app.tables) == set(TABLE_NAMES)
    # Every changelog is one the worker pre-creates (else the broker auto-creates it, wrongly partitioned).
    assert {t.changelog_topic.get_topic_name() for t in app.tables.values()} == set(
        changelog_topics(s.app_id)
    )
    assert {t.partitions for t in app.tables.values()} == {3}
    assert worker.tables.ledger.positions is app.tables["positions"]
    assert worker.tables.seen is app.tables["seen"]

    # Each agent reads its live lane and its backfill lane (worker/lanes.py pauses the latter).
    sources = {a.name.rsplit(".", 1)[-1]: tuple(a.channel.topics) for a in worker.agents}  # type: ignore[attr-defined]
    assert sources == {
        "parse_filings": (s.topic_raw, s.topic_backfill),
        "track_positions": (s.topic_parsed, s.topic_parsed_backfill),
    }  # alerts are read by one consumer group per webhook subscriber (agents/webhooks.py), not an agent
    assert all(a.concurrency == 1 for a in worker.agents)  # faust #606
    assert set(app.agents) == {a.name for a in worker.agents}
    # The same settings reach every handler and the ledger.
    assert worker.parse_step.settings is s and worker.positions_step.settings is s
    assert worker.webhooks_step.settings is s and worker.ledger.settings is s
    assert worker.parse_step.seen is worker.tables.seen
    assert worker.positions_step.ledger is worker.ledger


def test_two_workers_in_one_process_keep_their_own_settings() -> None:
    first, second = build(), build(web_port=6099, topic_partitions=2)
    assert first.app is not second.app
    assert first.app.conf.id != second.app.conf.id
    assert second.app.conf.web_port == 6099 and second.app.conf.topic_partitions == 2
    assert not set(first.app.tables.values()) & set(second.app.tables.values())


def test_the_commit_interval_and_linger_come_from_the_settings() -> None:
    default = build().app.conf
    assert default.broker_commit_interval == 1.0  # Faust's own 2.8 s showed a drained backlog as lag
    conf = build(commit_interval_seconds=0.25, producer_linger_ms=20).app.conf
    assert conf.broker_commit_interval == 0.25 and conf.producer_linger == 0.02


def test_faust_reads_none_of_its_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_URL", "kafka://elsewhere:1")
    monkeypatch.setenv("WEB_PORT", "1")
    monkeypatch.setenv("APP_DATADIR", "/nowhere")
    worker = build(kafka_bootstrap="127.0.0.1:19092", web_port=6077)
    conf = worker.app.conf
    assert [str(u) for u in conf.broker] == ["kafka://127.0.0.1:19092"]
    assert conf.web_port == 6077
    assert str(conf.datadir).startswith(str(worker.settings.data_dir))


def test_table_values_use_the_codec_named_for_each_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables_module, "serializer_for", lambda name: f"codec-{name}")
    worker = build()
    for name, table in worker.app.tables.items():
        assert table.value_serializer == f"codec-{name}"
        assert table.changelog_topic.value_serializer == f"codec-{name}"
        assert table.changelog_topic.internal and table.changelog_topic.compacting
        assert table.data.value_serializer == f"codec-{name}"


async def test_every_page_and_the_metrics_are_served() -> None:
    registry = CollectorRegistry()
    worker = create_app(unit_settings(), registry)
    worker.metrics.filings_parsed.labels("xml").inc()
    client: TestClient[Any, Any] = TestClient(TestServer(worker.app.web.web_app))
    await client.start_server()
    try:
        for path in ("/positions/all", "/stats", "/health"):
            assert (await client.get(path)).status == 200, path
        assert (await client.get("/positions/")).status == 400  # no issuer
        assert (await client.post("/filings", data=b"")).status == 400  # sniffed, never sent
        metrics = await (await client.get("/metrics")).text()
    finally:
        await client.close()
    assert 'form4_filings_parsed_total{format="xml"} 1.0' in metrics
    assert "form4_faust_messages_received" in metrics  # Faust's own sensors, under a fixed prefix


async def test_the_parse_agent_runs_its_handler_on_each_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registered agent, in Faust's test context with the memory store: events out, seen marked."""
    worker = build()
    app = worker.app
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()
    sent: list[tuple[str, bytes | None]] = []
    headers_seen: list[dict[str, bytes]] = []

    class Recorder:
        async def send(
            self, topic: str, key: bytes | None, value: bytes, partition: Any, timestamp: Any, headers: Any
        ) -> asyncio.Future[None]:
            sent.append((topic, key))
            headers_seen.append(dict(headers or []))
            ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            ack.set_result(None)
            return ack

    async def producer() -> Recorder:
        return Recorder()

    # Anything sent to Kafka would need a broker: the producer records instead (tables stay real; their
    # changelog records go to Faust's producer buffer, never flushed here).
    monkeypatch.setattr(worker.app, "maybe_start_producer", producer)
    raw = (FIXTURES / "form4_rich.xml").read_bytes()
    parse_filings = worker.agents[0]
    async with parse_filings.test_context() as agent:
        await agent.put(raw, key=b"acc")
    s = worker.settings
    assert sent and {t for t, _ in sent} == {s.topic_transactions, s.topic_parsed}
    assert {h["schema"] for h in headers_seen} == {b"form4.transaction/1", b"form4.parsed_filing/1"}
    # The filing's id and its content fingerprint (one filing in any format is parsed once).
    assert len(list(worker.tables.seen.keys())) == 2
