"""``POST /filings`` on a real worker process: accepted filings reach Kafka, bad requests do not."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
import pytest

from streams.adapters.consume import read_all
from tests.support.worker import WorkerProcess

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"
LIMIT = 64 * 1024


def post(
    worker: WorkerProcess,
    body: bytes | Iterable[bytes],
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, object]]:
    """POST ``body`` to the worker's /filings; (status, JSON answer)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{worker.settings.web_port}/filings",
        data=body,
        method="POST",
        headers={"Content-Type": "application/octet-stream", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"{}")


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path, max_filing_bytes=LIMIT)
    yield w
    w.stop()


@pytest.fixture()
def token_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path, http_token="s3cret-token")
    yield w
    w.stop()


async def test_posted_filing_is_acknowledged_and_becomes_events(worker: WorkerProcess) -> None:
    """A 202 names the acknowledged Kafka position, keyed by accession, and the filing's events follow."""
    worker.start()
    raw = (FIXTURES / "submission_form4.txt").read_bytes()
    status, body = post(worker, raw)
    assert status == 202, body
    assert body["accession_number"] == "0009999999-24-000123"
    assert body["filing_id"] == "0009999999-24-000123"
    assert body["topic"] == worker.settings.topic_raw
    records = await read_all(worker.settings, worker.settings.topic_raw)
    landed = [r for r in records if (r.partition, r.offset) == (body["partition"], body["offset"])]
    assert [(r.key, r.value) for r in landed] == [(b"0009999999-24-000123", raw)]

    xml_status, xml_body = post(worker, (FIXTURES / "form4_rich.xml").read_bytes())
    assert xml_status == 202, xml_body
    assert xml_body["accession_number"] is None
    assert str(xml_body["filing_id"]).startswith("sha256-")

    await worker.drained()
    events = await worker.records(worker.settings.topic_transactions)
    assert {e["filing_id"] for e in events} >= {body["filing_id"], xml_body["filing_id"]}, worker.log_tail()


async def test_oversized_and_non_filing_bodies_are_refused_before_kafka(worker: WorkerProcess) -> None:
    """Over max_filing_bytes is 413 (by Content-Length or chunked body); not a filing is 400 with a reason."""
    worker.start()
    status, body = post(worker, b"<?xml version='1.0'?><ownershipDocument>" + b" " * (LIMIT + 1))
    assert (status, body["reason"]) == (413, "too_large")

    # Chunked: no Content-Length, so only the read body can tell it is too big.
    chunks = [b"<ownershipDocument>"] + [b" " * 8192] * (LIMIT // 8192 + 1)
    status, body = post(worker, iter(chunks))
    assert (status, body["reason"]) == (413, "too_large")

    status, body = post(worker, b"Minutes of the annual meeting of shareholders, nothing else.")
    assert (status, body["reason"]) == (400, "not_ownership_form")
    assert body["error"]
    status, body = post(worker, b"\x00\xff\xfe\x00 binary junk")
    assert (status, body["reason"]) == (400, "bad_encoding")
    status, body = post(worker, b"")
    assert (status, body["reason"]) == (400, "unsupported_format")

    assert await read_all(worker.settings, worker.settings.topic_raw) == []


async def test_bearer_token_is_required_when_configured(token_worker: WorkerProcess) -> None:
    """With FORM4_HTTP_TOKEN set, no or a wrong bearer token is 401 and the right one is 202."""
    token_worker.start()
    raw = (FIXTURES / "form4_rich.xml").read_bytes()
    assert post(token_worker, raw)[0] == 401
    assert post(token_worker, raw, {"Authorization": "Bearer wrong-token"})[0] == 401
    assert post(token_worker, raw, {"Authorization": "s3cret-token"})[0] == 401
    status, body = post(token_worker, raw, {"Authorization": "Bearer s3cret-token"})
    assert status == 202, body
    records = await read_all(token_worker.settings, token_worker.settings.topic_raw)
    assert [r.value for r in records] == [raw]

    # Under max_filing_bytes (10 MiB) but over Kafka's 1 MB default message size: the topics and the
    # producer are sized for the cap, so it is accepted and reaches Kafka whole.
    noise = bytes(range(33, 127)) * (2 * 1024 * 1024 // 94)
    big = b"<?xml version='1.0'?><ownershipDocument><remarks>" + noise + b"</remarks></ownershipDocument>"
    status, body = post(token_worker, big, {"Authorization": "Bearer s3cret-token"})
    assert status == 202, body
    records = await read_all(token_worker.settings, token_worker.settings.topic_raw)
    assert big in [r.value for r in records]
