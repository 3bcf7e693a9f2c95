"""One filing in several formats through parse_filings and POST /filings (issue 9).

The parse agent publishes one set of transaction events per filing: another copy of it adds none; a
better copy (the complete submission after the bare XML) reaches only the ledger, which keeps it. The
Kafka key is the accession number a producer found outside the bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from parsers import Filing, parse
from streams.worker.agents.parse import ParseFilings
from streams.worker.app import faust_app
from streams.worker.metrics import metrics_in
from streams.worker.web import ingest
from synthetic import scenarios as sc
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml
from tests.unit.worker.fakes import RecordingSender, message, unit_settings

FILING: Filing = sc.late_filing()
ACCESSION = FILING.accession_number or ""


def step(sender: RecordingSender, seen: dict[str, Any]) -> ParseFilings:
    return ParseFilings(settings=SETTINGS, seen=seen, send=sender, metrics=metrics_in(CollectorRegistry()))


SETTINGS = unit_settings()


async def feed(raws: Sequence[tuple[bytes, bytes | None]]) -> tuple[RecordingSender, dict[str, Any]]:
    sender, seen = RecordingSender(), dict[str, Any]()
    s = step(sender, seen)
    for offset, (raw, key) in enumerate(raws):
        await s.handle_raw(raw, message(raw, key=key, offset=offset))
    return sender, seen


async def test_copies_of_one_filing_publish_its_events_once() -> None:
    """Bare XML, HTML page and text rendering, twice each: one set of events, one parsed record."""
    raws = [(render(FILING), None) for render in (render_xml, render_html, render_text)]
    sender, _ = await feed(raws + raws)
    settings = SETTINGS
    events = [s.json() for s in sender.on(settings.topic_transactions)]
    assert len(events) == len(FILING.rows)
    assert {e["source_format"] for e in events} == {"xml"}
    assert len(sender.on(settings.topic_parsed)) == 1


async def test_a_better_copy_after_a_bare_xml_reaches_the_ledger_but_adds_no_events() -> None:
    sender, seen = await feed([(render_xml(FILING), None), (render_submission(FILING), None)])
    settings = SETTINGS
    events = [s.json() for s in sender.on(settings.topic_transactions)]
    parsed = [s.json() for s in sender.on(settings.topic_parsed)]
    assert len(events) == len(FILING.rows) and {e["accession_number"] for e in events} == {None}
    assert [p["filing_id"] for p in parsed] == [parse(render_xml(FILING)).filing_id, ACCESSION]
    assert parsed[0]["fingerprint"] == parsed[1]["fingerprint"]
    assert seen[f"fingerprint:{parsed[0]['fingerprint']}"][0] == ACCESSION

    # And the other way round: the bare XML after its submission is nothing new.
    sender, _ = await feed([(render_submission(FILING), None), (render_xml(FILING), None)])
    assert len(sender.on(settings.topic_parsed)) == 1
    assert {s.json()["filing_id"] for s in sender.on(settings.topic_transactions)} == {ACCESSION}


async def test_the_message_key_gives_a_bare_xml_its_accession_number() -> None:
    """form4 push keys a file by the accession in its name: the XML is then that filing, at once."""
    sender, _ = await feed([(render_xml(FILING), ACCESSION.encode()), (render_submission(FILING), None)])
    settings = SETTINGS
    events = [s.json() for s in sender.on(settings.topic_transactions)]
    assert {(e["filing_id"], e["accession_number"]) for e in events} == {(ACCESSION, ACCESSION)}
    assert len(events) == len(FILING.rows), "the events are published once, by the first copy"
    # The submission carries the filing date and time the bare XML lacks: a better copy, so the ledger
    # hears of it (one day's rows are ordered by filing time), consumers of events do not again.
    parsed = [s.json() for s in sender.on(settings.topic_parsed)]
    assert [p["filing_id"] for p in parsed] == [ACCESSION, ACCESSION]
    assert [p["events"][0]["filed_at"] is None for p in parsed] == [True, False]
    # A key that is no accession number (another producer's choice) is not taken for one.
    sender, _ = await feed([(render_xml(FILING), b"my-key")])
    assert {s.json()["accession_number"] for s in sender.on(settings.topic_transactions)} == {None}


async def test_two_accession_numbers_with_one_content_are_two_filings() -> None:
    """EDGAR accepted the same document twice: two filings, as EDGAR says, each published once."""
    twin = FILING.model_copy(update={"accession_number": "0009999999-24-000777"})
    sender, _ = await feed([(render_submission(FILING), None), (render_submission(twin), None)] * 2)
    settings = SETTINGS
    assert [s.json()["filing_id"] for s in sender.on(settings.topic_parsed)] == [
        ACCESSION,
        twin.accession_number,
    ]


@pytest_asyncio.fixture()
async def http() -> AsyncIterator[tuple[TestClient[Any, Any], RecordingSender]]:
    settings = unit_settings()
    sender = RecordingSender()
    app = faust_app(settings)
    ingest.register(app, settings, sender)
    client: TestClient[Any, Any] = TestClient(TestServer(cast(Any, app.web).web_app))
    await client.start_server()
    yield client, sender
    await client.close()


async def test_post_filings_takes_an_explicit_accession_number(
    http: tuple[TestClient[Any, Any], RecordingSender],
) -> None:
    client, sender = http
    raw = render_xml(FILING)
    bare = await (await client.post("/filings", data=raw)).json()
    assert bare["accession_number"] is None and bare["filing_id"] == parse(raw).filing_id
    assert bare["filing_id"] == parse(raw + b"\r\n").filing_id, "the content, not the bytes"

    by_query = await (await client.post("/filings", params={"accession": ACCESSION}, data=raw)).json()
    by_header = await (
        await client.post("/filings", headers={"Form4-Accession": ACCESSION.replace("-", "")}, data=raw)
    ).json()
    for body in (by_query, by_header):
        assert (body["accession_number"], body["filing_id"]) == (ACCESSION, ACCESSION)
    assert [s.key for s in sender.sent] == [None, ACCESSION.encode(), ACCESSION.encode()]

    wrong = await client.post("/filings", params={"accession": "12-34"}, data=raw)
    assert wrong.status == 400 and (await wrong.json())["reason"] == "bad_accession"
    assert len(sender.sent) == 3
