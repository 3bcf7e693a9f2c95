"""The EDGAR producer against a local fake EDGAR: parsing, politeness, retries, resume, backfill."""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from streams.adapters.edgar import run as edgar_run
from streams.adapters.edgar.client import (
    EdgarClient,
    EdgarConfigError,
    EdgarError,
    EdgarRetryableStatus,
    check_user_agent,
    is_retryable_edgar_error,
)
from streams.adapters.edgar.feed import parse_feed
from streams.adapters.edgar.index import business_days, daily_index_path, parse_form_index
from streams.adapters.edgar.run import backfill, follow
from streams.adapters.edgar.state import EdgarState, state_path
from streams.cli import edgar as edgar_cli
from streams.config.settings import Settings
from tests.support.edgar_server import EdgarServer, load_filings, spread

UA = "form4-stream tests tests@example.com"
REPO = Path(__file__).parents[3]

FEED = b"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Latest Filings</title>
<entry><title>4 - Smith John (0001234567) (Reporting)</title>
<link rel="alternate" type="text/html"
 href="https://www.sec.gov/Archives/edgar/data/1234567/000123456724000123/0001234567-24-000123-index.htm"/>
<summary type="html"> &lt;b&gt;Filed:&lt;/b&gt; 2024-05-03 &lt;b&gt;AccNo:&lt;/b&gt; 0001234567-24-000123</summary>
<updated>2024-05-03T16:05:12-04:00</updated>
<category scheme="https://www.sec.gov/" label="form type" term="4"/>
<id>urn:tag:sec.gov,2008:accession-number=0001234567-24-000123</id></entry>
<entry><title>4 - ACME CORP (0000320193) (Issuer)</title>
<link rel="alternate" type="text/html"
 href="https://www.sec.gov/Archives/edgar/data/320193/000123456724000123/0001234567-24-000123-index.htm"/>
<updated>2024-05-03T16:05:12-04:00</updated>
<category scheme="https://www.sec.gov/" label="form type" term="4"/>
<id>urn:tag:sec.gov,2008:accession-number=0001234567-24-000123</id></entry>
<entry><title>424B2 - JPMORGAN CHASE &amp; CO (0000019617) (Filer)</title>
<link rel="alternate" type="text/html"
 href="https://www.sec.gov/Archives/edgar/data/19617/000095010324999999/0000950103-24-999999-index.htm"/>
<updated>2024-05-03T16:04:00-04:00</updated>
<category scheme="https://www.sec.gov/" label="form type" term="424B2"/>
<id>urn:tag:sec.gov,2008:accession-number=0000950103-24-999999</id></entry>
<entry><title>4/A - Doe Jane (0007654321) (Reporting)</title>
<link rel="alternate" type="text/html"
 href="https://www.sec.gov/Archives/edgar/data/7654321/000765432124000009/0007654321-24-000009-index.htm"/>
<updated>2024-05-03T15:59:59-04:00</updated>
<id>urn:tag:sec.gov,2008:accession-number=0007654321-24-000009</id></entry>
</feed>
"""  # noqa: E501 - real feed lines

INDEX = b"""Description:           Daily Index of EDGAR Dissemination Feed by Form Type
Last Data Received:    May 3, 2024
Comments:              webmaster@sec.gov
Anonymous FTP:         ftp://ftp.sec.gov/edgar/



Form Type   Company Name                                                  CIK         Date Filed  File Name
---------------------------------------------------------------------------------------------------------------------------------------------
10-K        APPLE INC                                                     320193      20240503    edgar/data/320193/0000320193-24-000001.txt
3           Doe  Jane                                                     7654321     20240503    edgar/data/7654321/0007654321-24-000001.txt
4           SMITH JOHN A                                                  1234567     20240503    edgar/data/1234567/0001234567-24-000123.txt
4/A         O'NEIL & SONS HOLDINGS, L.P.                                  1111111     2024-05-03  edgar/data/1111111/0001111111-24-000002.txt
SC 13D      SOME FUND                                                     2222222     20240503    edgar/data/2222222/0002222222-24-000003.txt
"""  # noqa: E501 - a fixed-width index keeps its widths


class ListSink:
    """A sink that keeps what it was given (the Kafka round trip is the integration test's job)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    async def send_all(self, items: Sequence[tuple[str, bytes]]) -> None:
        self.items.extend(items)


def settings_for(server: EdgarServer, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "edgar_user_agent": UA,
        "edgar_base_url": server.base_url,
        "data_dir": tmp,
        "edgar_backoff_seconds": 0.01,
        "edgar_timeout_seconds": 0.5,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture()
def server() -> Iterator[EdgarServer]:
    with EdgarServer(load_filings(12)) as s:
        yield s


def test_feed_entries_are_ownership_forms_once_per_accession() -> None:
    """The Atom feed gives one entry per accession, only Forms 3/4/5(/A), with CIK and time."""
    page = parse_feed(FEED)
    assert page.listed == 4
    assert [(e.accession, e.form_type, e.cik) for e in page.entries] == [
        ("0001234567-24-000123", "4", "1234567"),
        ("0007654321-24-000009", "4/A", "7654321"),
    ]
    assert page.entries[0].updated is not None and page.entries[0].updated.hour == 16
    assert page.entries[0].index_url.endswith("0001234567-24-000123-index.htm")
    with pytest.raises(ValueError):
        parse_feed(b"<html><body>Your request has been throttled</body></html")


def test_daily_index_lines_are_filtered_to_ownership_forms() -> None:
    """A daily form index yields the Form 3/4/5 lines with CIK, date and accession, whatever the names."""
    entries = parse_form_index(INDEX)
    assert [(e.form_type, e.cik, e.accession) for e in entries] == [
        ("3", "7654321", "0007654321-24-000001"),
        ("4", "1234567", "0001234567-24-000123"),
        ("4/A", "1111111", "0001111111-24-000002"),
    ]
    assert entries[2].company == "O'NEIL & SONS HOLDINGS, L.P."
    assert {e.date_filed for e in entries} == {date(2024, 5, 3)}
    assert daily_index_path(date(2024, 5, 3)) == "Archives/edgar/daily-index/2024/QTR2/form.20240503.idx"
    assert list(business_days(date(2024, 5, 3), date(2024, 5, 7))) == [
        date(2024, 5, 3),
        date(2024, 5, 6),
        date(2024, 5, 7),
    ]


def test_refuses_to_start_without_a_declared_user_agent(tmp_path: Path) -> None:
    """No User-Agent, or one without a contact e-mail, is refused with a message naming the setting."""
    with pytest.raises(EdgarConfigError, match="FORM4_EDGAR_USER_AGENT"):
        check_user_agent(None)
    with pytest.raises(EdgarConfigError, match="e-mail"):
        check_user_agent("python-requests/2.31")
    with pytest.raises(EdgarConfigError):
        EdgarClient(Settings(edgar_user_agent=None, data_dir=tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
    env["FORM4_KAFKA_BOOTSTRAP"] = "127.0.0.1:9"  # never reached: the check comes first
    done = subprocess.run(
        [sys.executable, "-m", "streams", "edgar", "follow", "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "FORM4_EDGAR_USER_AGENT" in done.stderr


async def test_rate_limit_holds_in_every_one_second_window(server: EdgarServer, tmp_path: Path) -> None:
    """Concurrent requests reach EDGAR at most edgar_max_rps times in any 1-second window, all declared."""
    settings = settings_for(server, tmp_path, edgar_max_rps=10)
    async with EdgarClient(settings) as client:
        url = client.url(daily_index_path(date(2024, 5, 4)))
        await asyncio.gather(*(client.get(url, missing_ok=True) for _ in range(25)))
    times = sorted(h.at for h in server.hits)
    assert len(times) == 25
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 10
    assert {h.user_agent for h in server.hits} == {UA}


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (EdgarRetryableStatus(503), True),
        (EdgarRetryableStatus(429), True),
        (EdgarRetryableStatus(500, "not a delay"), True),  # unreadable Retry-After: our own backoff
        (EdgarRetryableStatus(429, "0"), True),  # "now": our own backoff rather than none at all
        (EdgarRetryableStatus(429, "7"), 7.0),  # Retry-After is honoured exactly
        (EdgarRetryableStatus(503, "86400"), 120.0),  # ... up to two minutes
        (TimeoutError(), True),
        (aiohttp.ServerDisconnectedError(), True),
        (aiohttp.ClientConnectionError("refused"), True),
        (EdgarError("HTTP 404"), False),
        (ValueError("a bug, not the network"), False),
    ],
)
def test_what_is_retried_and_how_long_to_wait(exc: Exception, verdict: bool | float) -> None:
    """429/5xx answers, timeouts and connection errors are retried; a Retry-After becomes the wait."""
    assert is_retryable_edgar_error(exc) == verdict and type(is_retryable_edgar_error(exc)) is type(verdict)


def test_a_retry_after_date_is_a_delay_from_now() -> None:
    """Retry-After may be an HTTP date: the wait is the time until then."""
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    wait = is_retryable_edgar_error(EdgarRetryableStatus(503, when))
    assert isinstance(wait, float) and 25 < wait <= 30


async def test_retries_429_503_and_timeouts_then_succeeds(
    server: EdgarServer, tmp_path: Path, retry_waits: list[float]
) -> None:
    """429 (waiting out Retry-After), 503 and a hung request are retried until the answer comes; the
    other waits start at edgar_backoff_seconds and double, plus up to edgar_backoff_seconds of jitter."""
    settings = settings_for(server, tmp_path)
    filing = server.filings[0]
    url_path = f"Archives/edgar/data/{filing.cik}/{filing.accession}.txt"
    server.fail_next(1, "429", retry_after="1")
    server.fail_next(1, "503")
    server.fail_next(1, "hang")
    async with EdgarClient(settings) as client:
        assert await client.get(client.url(url_path)) == filing.body
    assert [h.status for h in server.hits] == [429, 503, 0, 200]
    backoff = settings.edgar_backoff_seconds
    assert retry_waits[0] == pytest.approx(1.0)  # Retry-After: 1 was honoured
    assert 2 * backoff <= retry_waits[1] <= 3 * backoff
    assert 4 * backoff <= retry_waits[2] <= 5 * backoff

    server.fail_next(settings.edgar_max_attempts, "503")
    async with EdgarClient(settings) as client:
        with pytest.raises(EdgarError, match="HTTP 503 after"):
            await client.get(client.url(url_path))


async def test_gives_up_after_max_attempts_and_returns_final_answers_at_once(
    server: EdgarServer, tmp_path: Path
) -> None:
    """edgar_max_attempts failures end in EdgarError; a 404 (final) is one request, never retried."""
    settings = settings_for(server, tmp_path, edgar_max_attempts=3)
    filing = server.filings[0]
    url = f"Archives/edgar/data/{filing.cik}/{filing.accession}.txt"
    server.fail_next(3, "503")
    async with EdgarClient(settings) as client:
        with pytest.raises(EdgarError, match="HTTP 503 after 3 attempts"):
            await client.get(client.url(url))
        assert [h.status for h in server.hits] == [503, 503, 503]
        server.hits.clear()
        assert await client.get(client.url("Archives/edgar/data/1/nothing.txt"), missing_ok=True) is None
    assert [h.status for h in server.hits] == [404]


async def test_follow_restart_does_not_resend(server: EdgarServer, tmp_path: Path) -> None:
    """A second run reads the checkpoint and sends nothing already sent; a new filing is sent alone."""
    newest = server.filings.pop()
    settings = settings_for(server, tmp_path)
    first = ListSink()
    counts = await follow(settings, first, once=True, stop=asyncio.Event(), echo=lambda _: None)
    assert sorted(k for k, _ in first.items) == sorted(f.accession for f in server.filings)
    assert counts.sent == len(server.filings)
    assert all(raw == next(f.body for f in server.filings if f.accession == k) for k, raw in first.items)
    saved = json.loads(state_path(settings).read_text())
    assert set(saved["sent"]) == {f.accession for f in server.filings}

    server.filings.append(newest)
    second = ListSink()
    counts = await follow(settings, second, once=True, stop=asyncio.Event(), echo=lambda _: None)
    assert [k for k, _ in second.items] == [newest.accession]
    assert counts.known == len(server.filings) - 1


def test_checkpoint_is_bounded_and_survives_reload(tmp_path: Path) -> None:
    """The sent set keeps only the newest accessions, and a reload sees exactly what was saved."""
    state = EdgarState.load(tmp_path / "s.json", limit=3)
    for n in range(5):
        state.add(f"0000000000-24-00000{n}")
    state.backfill_done = date(2024, 5, 3)
    state.save()
    again = EdgarState.load(tmp_path / "s.json", limit=3)
    assert list(again.sent) == [f"0000000000-24-00000{n}" for n in (2, 3, 4)]
    assert "0000000000-24-000001" not in again and "0000000000-24-000004" in again
    assert again.backfill_done == date(2024, 5, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left behind


async def test_backfill_walks_weekdays_skips_missing_days_and_resumes(tmp_path: Path) -> None:
    """Backfill reads each weekday's index, skips 404 days, sends every filing, and a rerun sends none."""
    days = [date(2024, 5, 6), date(2024, 5, 8), date(2024, 5, 10)]  # Mon, Wed, Fri; Tue has no index
    with EdgarServer(spread(load_filings(9), days)) as server:
        settings = settings_for(server, tmp_path)
        sink = ListSink()
        counts = await backfill(
            settings,
            sink,
            date(2024, 5, 4),
            date(2024, 5, 13),
            resume=True,
            stop=asyncio.Event(),
            echo=lambda _: None,
        )
        asked = [h.path.rsplit(".", 2)[-2] for h in server.hits_for("daily-index")]
        assert asked == ["20240506", "20240507", "20240508", "20240509", "20240510", "20240513"]
        assert sorted(k for k, _ in sink.items) == sorted(f.accession for f in server.filings)
        assert counts.sent == 9 and counts.failed == 0
        assert EdgarState.load(state_path(settings)).backfill_done == date(2024, 5, 13)

        server.hits.clear()
        again = ListSink()
        await backfill(
            settings,
            again,
            date(2024, 5, 4),
            date(2024, 5, 13),
            resume=True,
            stop=asyncio.Event(),
            echo=lambda _: None,
        )
        assert again.items == [] and server.hits_for("daily-index") == []

        await backfill(
            settings,
            again,
            date(2024, 5, 4),
            date(2024, 5, 13),
            resume=False,
            stop=asyncio.Event(),
            echo=lambda _: None,
        )
        assert again.items == []  # days re-read, but every accession was already sent
        assert server.hits_for("daily-index") and not server.hits_for("/data/")


class RecordingProducer:
    """aiokafka's producer as the Kafka sink uses it: records each topic sent to, acks at once."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[None]:
        self.topics.append(topic)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ack.set_result(None)
        return ack


def test_backfill_feeds_the_backfill_lane_and_follow_the_live_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``edgar backfill`` sends to FORM4_TOPIC_BACKFILL (the backfill lane), ``follow`` to the raw topic."""
    producer = RecordingProducer()
    monkeypatch.setattr(edgar_run, "make_producer", lambda settings: producer)

    async def one_filing(sink: edgar_run.Sink) -> edgar_run.Counts:
        await sink.send_all([("0001234567-24-000123", b"<x/>")])
        return edgar_run.Counts(listed=1, sent=1)

    monkeypatch.setattr(edgar_cli, "backfill", lambda settings, sink, *args, **kwargs: one_filing(sink))
    monkeypatch.setattr(edgar_cli, "follow", lambda settings, sink, **kwargs: one_filing(sink))
    for name, value in {
        "FORM4_EDGAR_USER_AGENT": UA,
        "FORM4_DATA_DIR": str(tmp_path),
        "FORM4_TOPIC_RAW": "live.raw",
        "FORM4_TOPIC_BACKFILL": "old.raw",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    done = runner.invoke(edgar_cli.edgar, ["backfill", "--from", "2024-05-06", "--to", "2024-05-06"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(edgar_cli.edgar, ["follow", "--once"])
    assert done.exit_code == 0, done.output
    assert producer.topics == ["old.raw", "live.raw"]
