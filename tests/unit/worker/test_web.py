"""The worker's pages in process (aiohttp test client on the Faust app's web application)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import faust
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from parsers import parse
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.worker.app import faust_app
from streams.worker.web import ingest, positions
from tests.support.sales import ceo_sale_xml
from tests.unit.worker.fakes import RecordingSender, unit_settings

ACME, OTHER = "0001234567", "0007654321"
CEO, CFO = "0001000001", "0001000002"

Client = Callable[..., Any]


def ledger_of(settings: Settings) -> Stores:
    """Stores holding three positions: two owners of ACME, one of ZZZ."""
    stores = Stores()
    ledger = Ledger(stores, settings)
    for raw in (
        ceo_sale_xml(ticker="ACME", issuer_cik=ACME, owner_cik=CEO),
        ceo_sale_xml(ticker="ACME", issuer_cik=ACME, owner_cik=CFO, day="2024-03-05"),
        ceo_sale_xml(ticker="ZZZ", issuer_cik=OTHER, owner_cik=CEO),
    ):
        ledger.apply_now(parsed_filing(raw, settings))
    return stores


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    """Builds an app with the given registration and serves it on a test server."""
    clients: list[TestClient[Any, Any]] = []

    async def make(register: Callable[[faust.App], object], settings: Settings) -> TestClient[Any, Any]:
        app = faust_app(settings)
        register(app)
        test_client: TestClient[Any, Any] = TestClient(TestServer(app.web.web_app))
        await test_client.start_server()
        clients.append(test_client)
        return test_client

    yield make
    for c in clients:
        await c.close()


async def test_positions_are_filtered_by_issuer_and_owner(client: Client) -> None:
    settings = unit_settings()
    stores = ledger_of(settings)
    http = await client(lambda app: positions.register(app, stores), settings)

    async def owners(query: str) -> list[tuple[str, str]]:
        response = await http.get(f"/positions/?{query}")
        assert response.status == 200
        body = await response.json()
        assert body["count"] == len(body["positions"])
        return [(p["issuer"]["cik"], p["holder"]["key"]) for p in body["positions"]]

    assert await owners("issuer=ACME") == [(ACME, CEO), (ACME, CFO)]
    assert await owners("issuer=acme") == [(ACME, CEO), (ACME, CFO)]
    assert await owners("issuer=1234567") == [(ACME, CEO), (ACME, CFO)]  # CIK, not zero-padded
    assert await owners("issuer=1234567&owner=1000002") == [(ACME, CFO)]
    assert await owners(f"issuer={OTHER}") == [(OTHER, CEO)]
    assert await owners("issuer=NOPE") == []
    missing = await http.get("/positions/")
    assert missing.status == 400 and "issuer" in (await missing.json())["error"]

    every = await (await http.get("/positions/all")).json()
    assert every["count"] == 3 and all("rows" not in p for p in every["positions"])
    stats = await (await http.get("/stats")).json()
    assert stats["positions"] == 3 and stats["filings_applied"] == 3


async def test_a_posted_filing_is_sent_to_the_raw_topic_and_answered_with_its_place(client: Client) -> None:
    settings = unit_settings(http_token="tok")
    sender = RecordingSender()
    http = await client(lambda app: ingest.register(app, settings, sender), settings)
    raw = ceo_sale_xml()

    refused = await http.post("/filings", data=raw)
    assert refused.status == 401 and sender.sent == []

    accepted = await http.post("/filings", data=raw, headers={"Authorization": "Bearer tok"})
    assert accepted.status == 202
    body = await accepted.json()
    assert [(s.topic, s.value) for s in sender.sent] == [(settings.topic_raw, raw)]
    assert (body["topic"], body["offset"], body["format"]) == (settings.topic_raw, 0, "xml")
    assert body["filing_id"] == parse(raw).filing_id


async def test_bodies_that_are_no_filing_or_too_large_never_reach_kafka(client: Client) -> None:
    settings = unit_settings(max_filing_bytes=2048)
    sender = RecordingSender()
    http = await client(lambda app: ingest.register(app, settings, sender), settings)
    too_large = await http.post("/filings", data=ceo_sale_xml() + b" " * 4096)
    assert too_large.status == 413 and (await too_large.json())["reason"] == "too_large"
    not_a_filing = await http.post("/filings", data=b"Minutes of the annual meeting of shareholders.")
    assert not_a_filing.status == 400 and (await not_a_filing.json())["reason"] == "not_ownership_form"
    assert sender.sent == []


async def test_a_multipart_upload_is_refused_with_a_clear_400(client: Client) -> None:
    """`curl -F file=@x.xml` wraps the filing in MIME framing: refused, never sent to Kafka."""
    settings = unit_settings()
    sender = RecordingSender()
    http = await client(lambda app: ingest.register(app, settings, sender), settings)
    form = aiohttp.FormData()
    form.add_field("file", ceo_sale_xml(), filename="filing.xml", content_type="application/xml")
    refused = await http.post("/filings", data=form)
    assert refused.status == 400
    body = await refused.json()
    assert body["reason"] == "multipart" and "--data-binary" in body["error"]
    assert sender.sent == []
