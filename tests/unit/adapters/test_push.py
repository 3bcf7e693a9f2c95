"""``form4 push`` without a broker: what is pushed, skipped or failed (with why), bounded, resumable."""

from __future__ import annotations

import asyncio
import io
import signal
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from click.testing import CliRunner

from streams.adapters.producer import PushReport, iter_files, walk_files
from streams.cli import push as push_module
from streams.cli.push import (
    EXIT_INTERRUPTED,
    FAIL_NOT_SENT,
    FAIL_TOO_LARGE,
    SKIP_EMPTY,
    SKIP_RESUMED,
    SKIP_SUFFIX,
    candidates,
    exit_code,
    push_filings,
)
from streams.config.settings import Settings


def test_the_walk_streams_in_sorted_path_order_and_named_files_are_taken_as_named(tmp_path: Path) -> None:
    for rel in ("b/z.xml", "b.xml", "a/c/d.txt", "a/notes.md", "sub.txt", "sub/x.htm", "A.NC"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    assert list(walk_files(tmp_path)) == sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p.name for p in iter_files([tmp_path])] == ["A.NC", "d.txt", "z.xml", "b.xml", "x.htm", "sub.txt"]
    missing = tmp_path / "missing.md"
    found = [(c.path, c.named) for c in candidates([tmp_path / "a", missing], PushReport())]
    assert found == [(tmp_path / "a/c/d.txt", False), (tmp_path / "a/notes.md", False), (missing, True)]


class FakeProducer:
    """aiokafka's producer as a push uses it. Acks resolve on the next loop turns (like Kafka's, later
    than the send), ``refuse`` fails one value's ack, ``down_after`` makes Kafka unreachable after that
    many sends."""

    def __init__(self, refuse: bytes = b"", down_after: int | None = None, start_fails: bool = False) -> None:
        self.refuse = refuse
        self.down_after = down_after
        self.start_fails = start_fails
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.unacked = 0
        self.most_unacked = 0
        self.most_unacked_bytes = 0
        self._unacked_bytes = 0
        self.stopped = False

    async def start(self) -> None:
        if self.start_fails:
            raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]")

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[int]:
        self.sent.append((topic, value, key))
        ack: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.unacked += 1
        self._unacked_bytes += len(value)
        self.most_unacked = max(self.most_unacked, self.unacked)
        self.most_unacked_bytes = max(self.most_unacked_bytes, self._unacked_bytes)
        down = self.down_after is not None and len(self.sent) > self.down_after

        def settle() -> None:
            self.unacked -= 1
            self._unacked_bytes -= len(value)
            if down:
                ack.set_exception(KafkaTimeoutError("Batch is expired"))
            elif value == self.refuse:
                ack.set_exception(MessageSizeTooLargeError("the broker refused it"))
            else:
                ack.set_result(len(self.sent))

        asyncio.get_running_loop().call_soon(settle)
        return ack


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(topic_raw="raw.test", data_dir=tmp_path / "data", max_filing_bytes=4096)


def use(monkeypatch: pytest.MonkeyPatch, producer: FakeProducer) -> FakeProducer:
    monkeypatch.setattr(push_module, "make_producer", lambda settings: producer)
    return producer


async def test_every_file_is_sent_skipped_or_failed_with_its_reason(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge file and a refused record fail alone; everything after them is still sent."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "0001234567-24-000123.xml").write_bytes(b"<a/>")
    (folder / "b-huge.xml").write_bytes(b"x" * 5000)  # over max_filing_bytes: never read nor sent
    (folder / "c-refused.xml").write_bytes(b"<refused/>")
    (folder / "d-blank.xml").write_bytes(b" \n")
    (folder / "e-notes.md").write_text("not a filing")
    (folder / "f.xml").write_bytes(b"<f/>")
    producer = use(monkeypatch, FakeProducer(refuse=b"<refused/>"))
    report = await push_filings(settings, [folder], stdin=io.BytesIO(b"<stdin/>"))
    assert (report.sent, report.skipped_total, report.failed_total) == (3, 2, 2)
    assert producer.sent == [
        ("raw.test", b"<stdin/>", None),
        ("raw.test", b"<a/>", b"0001234567-24-000123"),  # key from the file name
        ("raw.test", b"<refused/>", None),
        ("raw.test", b"<f/>", None),
    ]
    assert dict(report.skipped) == {SKIP_EMPTY: 1, SKIP_SUFFIX: 1}
    assert dict(report.failed) == {FAIL_TOO_LARGE: 1, "refused by Kafka: MessageSizeTooLargeError": 1}
    assert report.errors[0].startswith(f"{folder / 'b-huge.xml'}: too_large (5000 bytes")
    assert report.errors[1].startswith(f"{folder / 'c-refused.xml'}: refused by Kafka")
    assert producer.stopped and exit_code(report) == 1


async def test_sends_in_flight_are_bounded_by_files_and_bytes(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(95):
        (tmp_path / f"{i:03d}.xml").write_bytes(b"<x>" + b"y" * 100 + b"</x>")
    producer = use(monkeypatch, FakeProducer())
    report = await push_filings(settings, [tmp_path], batch_files=10, batch_bytes=10**6)
    assert report.sent == 95 and producer.most_unacked == 10
    producer = use(monkeypatch, FakeProducer())
    report = await push_filings(settings, [tmp_path], batch_files=1000, batch_bytes=500)
    assert report.sent == 95 and producer.most_unacked_bytes <= 500 + 107


async def test_an_outage_stops_the_push_and_every_file_is_accounted_for(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(50):
        (folder / f"{i:03d}.xml").write_bytes(b"<x/>")
    (folder / "zz.md").write_text("not a filing")
    producer = use(monkeypatch, FakeProducer(down_after=25))
    report = await push_filings(settings, [folder], batch_files=10)
    assert report.sent == 25  # Kafka went away in the middle of the third batch
    assert dict(report.failed) == {FAIL_NOT_SENT: 25} and dict(report.skipped) == {SKIP_SUFFIX: 1}
    assert len(producer.sent) == 30  # the failing batch, then nothing more was attempted
    assert report.unreachable is not None and "KafkaTimeoutError" in report.unreachable
    assert exit_code(report) == 1
    use(monkeypatch, FakeProducer(down_after=0))
    assert exit_code(await push_filings(settings, [folder], batch_files=10)) == 3


async def test_kafka_unreachable_from_the_start_counts_every_file(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        (tmp_path / f"{i}.xml").write_bytes(b"<x/>")
    use(monkeypatch, FakeProducer(start_fails=True))
    report = await push_filings(settings, [tmp_path])
    assert (report.sent, report.failed_total) == (0, 3) and exit_code(report) == 3


async def test_resume_skips_only_what_kafka_acknowledged(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.xml", "b.xml", "c.xml"):
        (folder / name).write_bytes(f"<{name}/>".encode())
    use(monkeypatch, FakeProducer(refuse=b"<b.xml/>"))
    first = await push_filings(settings, [folder])
    assert (first.sent, first.failed_total) == (2, 1)
    (folder / "c.xml").write_bytes(b"<c changed/>")  # changed since: sent again
    producer = use(monkeypatch, FakeProducer())
    second = await push_filings(settings, [folder], resume=True)
    assert [v for _, v, _ in producer.sent] == [b"<b.xml/>", b"<c changed/>"]
    assert (second.sent, dict(second.skipped)) == (2, {SKIP_RESUMED: 1})
    producer = use(monkeypatch, FakeProducer())
    again = await push_filings(settings, [folder])  # without --resume everything goes again
    assert again.sent == 3


async def test_a_stop_request_finishes_the_batch_in_flight_and_checkpoints_it(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(100):
        (folder / f"{i:03d}.xml").write_bytes(f"<x{i}/>".encode())
    producer = use(monkeypatch, FakeProducer())
    sent_so_far: list[int] = []

    def progress(n: int) -> None:
        sent_so_far.append(n)
        if sum(sent_so_far) == 10:  # one Ctrl-C once the first batch is acknowledged
            signal.raise_signal(signal.SIGINT)

    report = await push_filings(settings, [folder], progress=progress, handle_signals=True, batch_files=10)
    assert report.interrupted and exit_code(report) == EXIT_INTERRUPTED
    # Stopped between two batches (the signal is handled a loop turn or two later), each whole batch
    # acknowledged before the push returned.
    assert report.sent == len(producer.sent) and 10 <= report.sent < 100 and report.sent % 10 == 0
    assert report.failed_total == 0
    resumed = await push_filings(settings, [folder], resume=True)
    assert resumed.sent == 100 - report.sent and resumed.skipped[SKIP_RESUMED] == report.sent


async def test_a_backfill_push_goes_to_the_backfill_topic_and_resumes_apart(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--backfill``: every filing on the backfill lane; ``--resume`` skips what that lane acknowledged."""
    settings = settings.model_copy(update={"topic_backfill": "backfill.test"})
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("0001234567-24-000001.xml", "b.xml"):
        (folder / name).write_bytes(f"<{name}/>".encode())
    producer = use(monkeypatch, FakeProducer())
    assert (await push_filings(settings, [folder], backfill=True)).sent == 2
    assert [(t, k) for t, _, k in producer.sent] == [
        ("backfill.test", b"0001234567-24-000001"),
        ("backfill.test", None),
    ]
    producer = use(monkeypatch, FakeProducer())
    live = await push_filings(settings, [folder], resume=True)  # nothing of it reached the live lane yet
    assert live.sent == 2 and {t for t, _, _ in producer.sent} == {"raw.test"}
    producer = use(monkeypatch, FakeProducer())
    again = await push_filings(settings, [folder], resume=True, backfill=True)
    assert (again.sent, again.skipped[SKIP_RESUMED], producer.sent) == (0, 2, [])


def test_the_backfill_flag_reaches_the_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    async def fake_push(*args: object, backfill: bool = False, **kwargs: object) -> PushReport:
        seen.append(backfill)
        return PushReport()

    monkeypatch.setattr(push_module, "push_filings", fake_push)
    monkeypatch.setenv("FORM4_DATA_DIR", str(tmp_path))
    filing = tmp_path / "f.xml"
    filing.write_bytes(b"<f/>")
    for flags, expected in (([], False), (["--backfill"], True)):
        result = CliRunner().invoke(push_module.push, [*flags, str(filing)])
        assert result.exit_code == 0, result.output
        assert seen.pop() is expected
