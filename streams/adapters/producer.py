"""Pushing raw filings to ``form4.filings.raw``: shared by ``form4 push``, the HTTP endpoint and
the EDGAR poller. Keys are accession numbers when the bytes or the file name give one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from streams.config.settings import Settings

_ACCESSION_HEADER = re.compile(rb"ACCESSION[ -]NUMBER:\s*(\d{10}-\d{2}-\d{6})")
_ACCESSION_NAME = re.compile(r"(\d{10})-?(\d{2})-?(\d{6})")
FILING_SUFFIXES = frozenset({".xml", ".txt", ".htm", ".html", ".nc"})


def accession_of(raw: bytes, name: str | None = None) -> str | None:
    """The accession number from a submission header, else from a file name, else ``None``."""
    found = _ACCESSION_HEADER.search(raw[:4096])
    if found:
        return found.group(1).decode()
    if name:
        named = _ACCESSION_NAME.search(Path(name).name)
        if named:
            return "-".join(named.groups())
    return None


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths (directories walked recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FILING_SUFFIXES
            )
        else:
            yield path


@dataclass
class PushReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def make_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        enable_idempotence=True,  # producer retries never duplicate a message in the log
        compression_type="gzip",
        linger_ms=20,
        max_request_size=settings.max_message_bytes,
    )
