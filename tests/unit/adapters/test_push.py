"""``form4 push`` without a broker: what is pushed, what is skipped, and how each send is counted."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from aiokafka.errors import KafkaTimeoutError

from streams.cli import push as push_module
from streams.cli.push import candidates, push_filings
from streams.config.settings import Settings


def test_directories_are_walked_and_non_filings_are_marked_skip(tmp_path: Path) -> None:
    """Filing suffixes are pushed and other files skipped; a missing named path is still tried (and fails)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<ownershipDocument/>")
    (tmp_path / "sub" / "0001234567-24-000123.txt").write_bytes(b"x")
    (tmp_path / "notes.md").write_text("not a filing")
    (tmp_path / "sub" / "form.NC").write_bytes(b"x")
    found = [(p.relative_to(tmp_path).as_posix(), v) for p, v in candidates([tmp_path])]
    assert found == [
        ("a.xml", "push"),
        ("notes.md", "skip"),
        ("sub/0001234567-24-000123.txt", "push"),
        ("sub/form.NC", "push"),
    ]
    missing = tmp_path / "missing.xml"
    assert list(candidates([missing])) == [(missing, "push")]


class FakeProducer:
    """aiokafka's producer as push_filings uses it: ``send`` queues and returns the ack future."""

    def __init__(self, refuse: bytes) -> None:
        self.refuse = refuse  # the value whose acknowledgement fails
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[int]:
        self.sent.append((topic, value, key))
        ack: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if value == self.refuse:
            ack.set_exception(KafkaTimeoutError("not acknowledged in time"))
        else:
            ack.set_result(len(self.sent))
        return ack


async def test_every_filing_is_sent_then_each_ack_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent = acknowledged; a refused ack and an unreadable file fail; empty files and non-filings skip."""
    (tmp_path / "0001234567-24-000123.xml").write_bytes(b"<a/>")
    (tmp_path / "refused.xml").write_bytes(b"<refused/>")
    (tmp_path / "blank.xml").write_bytes(b" \n")
    (tmp_path / "notes.md").write_text("not a filing")
    producer = FakeProducer(refuse=b"<refused/>")
    monkeypatch.setattr(push_module, "make_producer", lambda settings: producer)
    settings = Settings(topic_raw="raw.test")
    report = await push_filings(settings, [tmp_path, tmp_path / "gone.xml"], stdin=io.BytesIO(b"<stdin/>"))
    assert (report.sent, report.skipped, report.failed) == (2, 2, 2)
    assert producer.sent == [
        ("raw.test", b"<stdin/>", None),
        ("raw.test", b"<a/>", b"0001234567-24-000123"),  # key from the file name
        ("raw.test", b"<refused/>", None),
    ]
    assert report.errors[0].startswith(str(tmp_path / "gone.xml"))
    assert report.errors[1] == "refused.xml: KafkaTimeoutError: not acknowledged in time"
    assert producer.stopped
