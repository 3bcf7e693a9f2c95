"""A local stand-in for www.sec.gov: feed pages, daily form indexes and complete submissions.

Built from the real corpus's submission files (``FORM4_CORPUS/submission``) or, when the corpus
is absent, from synthetic filings. Runs an aiohttp server on 127.0.0.1 in a thread, so both async
unit tests and CLI subprocesses can use it. It logs every request (arrival time, path, User-Agent)
and can be told to answer 429/503 or hang for the next N requests.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape
from typing import Literal

from aiohttp import web

from streams.localbroker.broker import free_port
from tests.support.corpus import corpus_dir

Fault = Literal["429", "503", "hang"]
_HEADER = {
    "accession": re.compile(rb"ACCESSION NUMBER:\s*(\d{10}-\d{2}-\d{6})"),
    "form": re.compile(rb"CONFORMED SUBMISSION TYPE:\s*(\S+)"),
    "filed": re.compile(rb"FILED AS OF DATE:\s*(\d{8})"),
    "name": re.compile(rb"COMPANY CONFORMED NAME:\s*([^\r\n]+)"),
}
_CIK = re.compile(rb"CENTRAL INDEX KEY:\s*(\d+)")
_FORMS = {"3", "3/A", "4", "4/A", "5", "5/A"}


@dataclass(frozen=True)
class ServedFiling:
    """One filing the fake EDGAR lists and serves."""

    accession: str
    form_type: str
    ciks: tuple[str, ...]
    company: str
    filed: date
    body: bytes

    @property
    def cik(self) -> str:
        return self.ciks[0]


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    at: float
    path: str
    query: str
    user_agent: str | None
    status: int


def _from_submission(body: bytes) -> ServedFiling | None:
    head = body[:16384]
    found: dict[str, str] = {}
    for name, rx in _HEADER.items():
        match = rx.search(head)
        if match is None:
            return None
        found[name] = match.group(1).decode("latin-1").strip()
    ciks = tuple(dict.fromkeys(str(int(c)) for c in _CIK.findall(head)))
    if not ciks or found["form"] not in _FORMS:
        return None
    return ServedFiling(
        accession=found["accession"],
        form_type=found["form"],
        ciks=ciks,
        company=found["name"],
        filed=datetime.strptime(found["filed"], "%Y%m%d").date(),
        body=body,
    )


def load_filings(n: int, *, prefer_corpus: bool = True) -> list[ServedFiling]:
    """``n`` filings with distinct accession numbers: corpus submissions when present, else synthetic."""
    out: dict[str, ServedFiling] = {}
    root = corpus_dir() if prefer_corpus else None
    if root is not None:
        for path in sorted((root / "submission").glob("*")):
            filing = _from_submission(path.read_bytes())
            if filing is not None:
                out.setdefault(filing.accession, filing)
            if len(out) == n:
                return list(out.values())
    from synthetic.generator import generate
    from synthetic.render_submission import render_submission

    for synth in generate(20240501, n * 2):
        filing = _from_submission(render_submission(synth))
        if filing is not None:
            out.setdefault(filing.accession, filing)
        if len(out) == n:
            break
    return list(out.values())


def spread(filings: Sequence[ServedFiling], days: Sequence[date]) -> list[ServedFiling]:
    """The filings re-dated round-robin over ``days`` (the body keeps its own header date)."""
    from dataclasses import replace

    return [replace(f, filed=days[i % len(days)]) for i, f in enumerate(filings)]


@dataclass
class EdgarServer:
    """The fake EDGAR; ``with EdgarServer(filings) as server: server.base_url``."""

    filings: list[ServedFiling]
    hang_seconds: float = 5.0
    hits: list[Hit] = field(default_factory=list)
    _faults: list[tuple[Fault, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.port = free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, n: int, fault: Fault, retry_after: str | None = None) -> None:
        """Answer the next ``n`` requests with ``fault`` (429 carries ``Retry-After`` when given)."""
        with self._lock:
            self._faults.extend([(fault, retry_after)] * n)

    def hits_for(self, fragment: str) -> list[Hit]:
        return [h for h in self.hits if fragment in h.path]

    # --- pages ------------------------------------------------------------------------------
    def _feed(self, form_family: str, start: int, count: int) -> bytes:
        listed = sorted(
            (f for f in self.filings if f.form_type.split("/")[0] == form_family),
            key=lambda f: f.accession,
            reverse=True,
        )
        rows: list[str] = []
        if form_family == "4":  # EDGAR's type=4 is a prefix match: a prospectus shows up too
            rows.append(self._entry("424B2", "0000950103-24-999999", "19617", "JPMORGAN CHASE & CO", 0))
        for i, f in enumerate(listed):
            # Every filing twice, like EDGAR: once for the reporting owner, once for the issuer.
            for cik in f.ciks[:2]:
                rows.append(self._entry(f.form_type, f.accession, cik, f.company, i))
        page = rows[start : start + count]
        return (
            '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            "<title>Latest Filings - Fri, 03 May 2024 16:00:00 EDT</title>\n" + "".join(page) + "</feed>\n"
        ).encode("latin-1", "xmlcharrefreplace")

    @staticmethod
    def _entry(form: str, accession: str, cik: str, company: str, age: int) -> str:
        plain = accession.replace("-", "")
        updated = datetime(2024, 5, 3, 16, 0, tzinfo=timezone(timedelta(hours=-4))) - timedelta(seconds=age)
        href = f"https://www.sec.gov/Archives/edgar/data/{cik}/{plain}/{accession}-index.htm"
        return (
            f"<entry>\n<title>{escape(form)} - {escape(company)} ({cik.zfill(10)}) (Reporting)</title>\n"
            f'<link rel="alternate" type="text/html" href="{href}"/>\n'
            '<summary type="html"> &lt;b&gt;Filed:&lt;/b&gt; 2024-05-03 '
            f"&lt;b&gt;AccNo:&lt;/b&gt; {accession} &lt;b&gt;Size:&lt;/b&gt; 5 KB</summary>\n"
            f"<updated>{updated.isoformat()}</updated>\n"
            f'<category scheme="https://www.sec.gov/" label="form type" term="{escape(form)}"/>\n'
            f"<id>urn:tag:sec.gov,2008:accession-number={accession}</id>\n</entry>\n"
        )

    def _index(self, day: date) -> bytes | None:
        listed = [f for f in self.filings if f.filed == day]
        if not listed:
            return None
        lines = [
            "Description:           Daily Index of EDGAR Dissemination Feed by Form Type",
            f"Last Data Received:    {day:%B %d, %Y}",
            "Comments:              webmaster@sec.gov",
            "Anonymous FTP:         ftp://ftp.sec.gov/edgar/",
            " ",
            " ",
            " ",
            f"{'Form Type':<12}{'Company Name':<62}{'CIK':<12}{'Date Filed':<12}File Name",
            "-" * 140,
            f"{'10-K':<12}{'SOME OTHER CO':<62}{'320193':<12}{day:%Y%m%d}    "
            "edgar/data/320193/0000320193-24-000001.txt",
        ]
        for f in sorted(listed, key=lambda f: f.form_type):
            lines.append(
                f"{f.form_type:<12}{f.company[:60]:<62}{f.cik:<12}{day:%Y%m%d}    "
                f"edgar/data/{f.cik}/{f.accession}.txt"
            )
        return ("\n".join(lines) + "\n").encode("latin-1", "replace")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        status, body, headers = 404, b"Not Found", {}
        if fault is not None:
            kind, retry_after = fault
            if kind == "hang":
                # Logged on arrival with status 0: the client gives up before any answer.
                self.hits.append(
                    Hit(arrived, request.path, request.query_string, request.headers.get("User-Agent"), 0)
                )
                await asyncio.sleep(self.hang_seconds)
                return web.Response(status=503)
            status, body = (429, b"Too Many Requests") if kind == "429" else (503, b"Service Unavailable")
            if retry_after is not None:
                headers["Retry-After"] = retry_after
        else:
            status, body = self._route(request)
        self.hits.append(
            Hit(
                at=arrived,
                path=request.path,
                query=request.query_string,
                user_agent=request.headers.get("User-Agent"),
                status=status,
            )
        )
        return web.Response(status=status, body=body, headers=headers)

    def _route(self, request: web.Request) -> tuple[int, bytes]:
        path = request.path
        if path == "/cgi-bin/browse-edgar" and request.query.get("action") == "getcurrent":
            q = request.query
            return 200, self._feed(q.get("type", ""), int(q.get("start", "0")), int(q.get("count", "40")))
        day = re.fullmatch(r"/Archives/edgar/daily-index/\d{4}/QTR[1-4]/form\.(\d{8})\.idx", path)
        if day:
            body = self._index(datetime.strptime(day.group(1), "%Y%m%d").date())
            return (200, body) if body is not None else (404, b"Not Found")
        doc = re.fullmatch(r"/Archives/edgar/data/(\d+)/(\d{10}-\d{2}-\d{6})\.txt", path)
        if doc:
            for f in self.filings:
                if f.accession == doc.group(2) and doc.group(1) in f.ciks:
                    return 200, f.body
        return 404, b"Not Found"

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> EdgarServer:
        started = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_route("GET", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, shutdown_timeout=1.0)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="edgar-server", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake EDGAR server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)
