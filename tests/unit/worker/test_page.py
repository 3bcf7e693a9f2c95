"""The web page, its JSON endpoints, /health, /ready, /metrics and the POST /filings timeout, in process."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from parsers import to_events
from streams.adapters.lag import GroupLag, PartitionLag
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing, to_parsed
from streams.domain.records import Alert
from streams.worker.agents.lag_monitor import KafkaProbe
from streams.worker.app import create_app, faust_app
from streams.worker.metrics import metrics_in
from streams.worker.web import health, ingest, page, prometheus
from streams.worker.web.alert_feed import AlertFeed, edgar_url
from synthetic import scenarios as sc
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import RecordingSender, unit_settings

ACME = "0001234567"


def alert(alert_id: str, **fields: Any) -> Alert:
    body: dict[str, Any] = {
        "alert_id": alert_id,
        "rule": "large_sale",
        "severity": "high",
        "issuer_cik": ACME,
        "issuer_name": "Acme Corp",
        "ticker": "ACME",
        "owners": [{"cik": "0001000001", "name": "Jane Roe", "role": "CEO"}],
        "accession_numbers": ["0001234567-24-000001"],
        "event_ids": [f"{alert_id}/non_derivative/0"],
        "figures": {"value_usd": "2500000"},
        "summary": f"summary of {alert_id}",
        "created_at": datetime(2024, 3, 1, 12, 0, tzinfo=UTC).isoformat(),
    }
    body.update(fields)
    return Alert.model_validate(body)


def lag_reader(fail: bool = False) -> Callable[[Settings, list[str]], Any]:
    async def read(settings: Settings, topics: list[str]) -> GroupLag:
        if fail:
            raise ConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]")
        return GroupLag(
            settings.app_id,
            [PartitionLag(settings.topic_raw, 0, 3, 10, 7), PartitionLag(settings.topic_raw, 1, 0, 2, 2)],
        )

    return read


# --- the feed -----------------------------------------------------------------------------------


def test_the_feed_keeps_the_newest_alerts_and_strikes_retracted_ones_through() -> None:
    feed = AlertFeed(capacity=3)
    feed.add(alert("a1", created_at="2024-03-01T10:00:00Z"))
    feed.add(alert("a2", created_at="2024-03-01T11:00:00Z", severity="critical"))
    assert [a["alert_id"] for a in feed.since(0)] == ["a2", "a1"]  # newest first
    seen = feed.seq

    feed.add(alert("r1", kind="alert_retracted", retracts="a1"))
    changed = feed.since(seen)
    assert [(a["alert_id"], a["retracted"]) for a in changed] == [("a1", True)]
    feed.add(alert("a1"))  # raised again: it stands again
    assert [a["retracted"] for a in feed.since(0) if a["alert_id"] == "a1"] == [False]

    feed.add(alert("r9", kind="alert_retracted", retracts="older-than-the-ring"))
    assert ("r9", True) in [(a["alert_id"], a["retracted"]) for a in feed.since(0)]
    feed.add(alert("a3"))
    assert len(feed) == 3 and "a2" not in {a["alert_id"] for a in feed.since(0)}  # least recently changed
    assert feed.add_raw(b"not json") is False and feed.add_raw(alert("a4").to_json()) is True


def test_each_alert_links_to_its_filing_on_edgar() -> None:
    assert edgar_url(alert("a")) == "https://www.sec.gov/Archives/edgar/data/1234567/000123456724000001/"
    by_cik = edgar_url(alert("a", accession_numbers=[]))
    assert by_cik is not None and "CIK=1234567" in by_cik
    by_ticker = edgar_url(alert("a", accession_numbers=[], issuer_cik="ticker:QLYS", ticker="QLYS"))
    assert by_ticker is not None and "CIK=QLYS" in by_ticker


def test_filters_match_ticker_rule_minimum_severity_and_owner() -> None:
    served = AlertFeed(5)
    served.add(alert("a"))
    (a,) = served.since(0)
    assert (
        page.matches(a, {}) and page.matches(a, {"ticker": "acme"}) and page.matches(a, {"ticker": "1234567"})
    )
    assert not page.matches(a, {"ticker": "ZZZ"})
    assert page.matches(a, {"rule": "large_sale"}) and not page.matches(a, {"rule": "liquidation"})
    assert page.matches(a, {"severity": "medium"}) and not page.matches(a, {"severity": "critical"})
    assert page.matches(a, {"owner": "roe"}) and page.matches(a, {"owner": "1000001"})
    assert not page.matches(a, {"owner": "smith"})


# --- HTTP ---------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Callable[..., Any]]:
    clients: list[TestClient[Any, Any]] = []

    async def make(app: Any) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(app.web.web_app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()


async def test_the_page_its_api_and_the_issuer_page(served: Callable[..., Any]) -> None:
    settings = unit_settings()
    registry = CollectorRegistry()
    metrics = metrics_in(registry)
    metrics.dead_letters.labels("malformed_xml").inc(2)
    stores = Stores()
    Ledger(stores, settings).apply_now(parsed_filing(ceo_sale_xml(ticker="ACME", issuer_cik=ACME), settings))
    feed = AlertFeed(10)
    feed.add(alert("a1", summary="Jane <b>sold</b>"))
    feed.add(alert("a2", severity="low", rule="liquidation", created_at="2024-03-02T09:00:00Z"))
    app = faust_app(settings)
    probe = KafkaProbe(settings, metrics, read=lag_reader())
    page.register(app, settings, stores, feed, probe, registry)
    http = await served(app)

    html = await (await http.get("/?rule=large_sale")).text()
    assert 'data-id="a1"' in html and 'data-id="a2"' not in html
    assert "Jane &lt;b&gt;sold&lt;/b&gt;" in html  # escaped, never markup
    assert "/static/page.js" in html and "https://" not in html.split("<body>")[0]  # no CDN
    assert (await http.get("/static/page.js")).status == 200

    body = await (await http.get("/api/alerts?since=0")).json()
    assert [a["alert_id"] for a in body["alerts"]] == ["a2", "a1"] and body["seq"] == 2
    assert (await (await http.get("/api/alerts?since=2")).json())["alerts"] == []
    assert (await http.get("/api/alerts?since=x")).status == 400

    ops = await (await http.get("/api/ops")).json()
    assert ops["kafka_reachable"] is True and ops["lag_by_topic"] == {settings.topic_raw: 9}
    assert ops["dead_letters_by_reason"] == {"malformed_xml": 2.0}

    issuer = await (await http.get("/issuer?issuer=ACME")).text()
    assert 'id="positions"' in issuer and 'id="transactions"' in issuer and "Reconciliation breaks" in issuer
    assert "No positions" in await (await http.get("/issuer?issuer=NOPE")).text()
    assert (await http.get("/issuer")).status == 400


async def test_the_issuer_page_tells_a_direct_line_held_apart_by_its_vehicle(
    served: Callable[..., Any],
) -> None:
    """A director's plain direct line and one footnoted "Held in IRA": "D" and "D: Held in IRA"."""
    settings = unit_settings()
    registry = CollectorRegistry()
    f = sc.director_sale_beside_ira()
    stores = Stores()
    Ledger(stores, settings).apply_now(to_parsed(f, to_events(f)))
    app = faust_app(settings)
    page.register(app, settings, stores, AlertFeed(10), KafkaProbe(settings, metrics_in(registry)), registry)
    http = await served(app)
    html = await (await http.get("/issuer?issuer=1234567")).text()
    table = html.split('id="positions"')[1].split("</table>")[0]
    assert "<td>D: Held in IRA</td>" in table and "<td>D</td>" in table


async def test_ready_says_why_it_is_not_and_health_stays_alive(served: Callable[..., Any]) -> None:
    settings = unit_settings()
    app = faust_app(settings)
    probe = KafkaProbe(settings, metrics_in(CollectorRegistry()), read=lag_reader(fail=True))
    health.register(app, settings, probe)
    http = await served(app)

    live = await http.get("/health")
    assert live.status == 200 and (await live.json())["status"] == "ok"
    ready = await http.get("/ready")
    assert ready.status == 503
    body = await ready.json()
    assert body["ready"] is False and body["kafka_reachable"] is False
    assert any("cannot reach Kafka" in r for r in body["reasons"]) and "Unable to bootstrap" in body["reason"]
    assert body["assigned_partitions"] == []


async def test_a_filing_kafka_never_acknowledges_is_answered_503_after_the_timeout(
    served: Callable[..., Any],
) -> None:
    settings = unit_settings(kafka_send_timeout_seconds=0.2)
    sender = RecordingSender(acks="manual")
    app = faust_app(settings)
    ingest.register(app, settings, sender)
    http = await served(app)
    answer = await asyncio.wait_for(http.post("/filings", data=ceo_sale_xml()), timeout=30)
    assert answer.status == 503 and answer.headers["Retry-After"]
    assert (await answer.json())["reason"] == "kafka_unavailable"
    assert len(sender.sent) == 1  # it was queued: a retry is safe, filings are idempotent


# --- /metrics -----------------------------------------------------------------------------------


def test_faust_histograms_are_exposed_in_seconds_under_a_fixed_prefix() -> None:
    source, target = CollectorRegistry(), CollectorRegistry()
    Histogram(
        "form4_faust_events_runtime_ms", "Events runtime in ms", buckets=(5, 50), registry=source
    ).observe(20)
    target.register(prometheus.SecondsCollector(source))
    sample = target.get_sample_value
    assert sample("form4_faust_events_runtime_seconds_bucket", {"le": "0.005"}) == 0
    assert sample("form4_faust_events_runtime_seconds_bucket", {"le": "0.05"}) == 1
    assert sample("form4_faust_events_runtime_seconds_sum") == pytest.approx(0.02)
    assert sample("form4_faust_events_runtime_seconds_count") == 1


async def test_metrics_read_the_lag_at_scrape_time(served: Callable[..., Any]) -> None:
    registry, settings = CollectorRegistry(), unit_settings()
    app = faust_app(settings)
    probe = KafkaProbe(settings, metrics_in(registry), read=lag_reader())
    prometheus.register(app, registry, probe)
    http = await served(app)
    text = await (await http.get("/metrics")).text()
    assert f'form4_consumer_lag{{partition="0",topic="{settings.topic_raw}"}} 7.0' in text
    assert "form4_kafka_reachable 1.0" in text


def test_the_whole_exposition_passes_promtool_without_a_warning() -> None:
    """Every metric of a worker (ours, Faust's with a child of each, the webhook adapter's)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        reason = "promtool not installed: run `make tools` (Debian, as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    registry = CollectorRegistry()
    worker = create_app(unit_settings(), registry)
    faust_metrics = worker.app.monitor._metrics  # type: ignore[attr-defined]  # PrometheusMonitor's
    for metric in faust_metrics:
        child = metric.labels(*["x"] * len(metric._labelnames)) if metric._labelnames else metric
        for method, arg in (("observe", 12.5), ("inc", 1), ("set", 1)):
            if hasattr(child, method):
                getattr(child, method)(arg)
                break
    text = generate_latest(registry)
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
