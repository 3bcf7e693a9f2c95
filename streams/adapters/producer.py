"""Pushing raw filings to ``form4.filings.raw``: shared by ``form4 push``, the HTTP endpoint and
the EDGAR poller. Keys are accession numbers when the bytes or the file name give one."""

from __future__ import annotations

import os
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from aiokafka import AIOKafkaProducer

from streams.adapters.kafka_security import client_kwargs
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


def walk_files(root: Path, on_error: Callable[[Path, OSError], None] | None = None) -> Iterator[Path]:
    """Every regular file under the directory ``root``, in the order of ``sorted(root.rglob("*"))``.

    Depth first, one directory listed at a time, so memory grows with the largest directory, not with
    the tree (a million filings stream). Symlinked directories are not followed (no loops).
    ``on_error`` hears about each directory that cannot be listed; without it the error is raised.
    """
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        if on_error is None:
            raise
        on_error(root, exc)
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from walk_files(Path(entry.path), on_error)
        elif entry.is_file():
            yield Path(entry.path)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Filings under the given paths: directories walked recursively (sorted) for filing suffixes,
    files as named."""
    for path in paths:
        if path.is_dir():
            yield from (p for p in walk_files(path) if p.suffix.lower() in FILING_SUFFIXES)
        else:
            yield path


@dataclass
class PushReport:
    """What a push did with every file: sent (acknowledged by Kafka), skipped or failed, with reasons.

    Bounded whatever the number of files: counts per reason, and the first :data:`EXAMPLES` failures
    with their paths.
    """

    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    """``<path>: <reason>`` of the first failures."""
    more_errors: int = 0
    unreachable: str | None = None
    """Why Kafka stopped answering (or never did); the files after that point were not sent."""
    interrupted: bool = False

    EXAMPLES: ClassVar[int] = 20

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def fail(self, reason: str, name: str, detail: str = "") -> None:
        self.failed[reason] += 1
        if len(self.errors) < self.EXAMPLES:
            self.errors.append(f"{name}: {reason}{f' ({detail})' if detail else ''}")
        else:
            self.more_errors += 1

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


FileKey = tuple[str, int, int]
"""(resolved path, size, mtime in ns): a file as :class:`PushCheckpoint` knows it."""


def file_key(path: Path, stat: os.stat_result) -> FileKey:
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


class PushCheckpoint:
    """Which files a push already had acknowledged by Kafka, for ``form4 push --resume``.

    An SQLite file under ``FORM4_DATA_DIR`` (on disk, so a million entries cost no memory; each batch
    committed in one transaction, so a crash loses at most the batch in flight, which is then sent
    again: at-least-once). A file is identified by its resolved path, size and mtime, so an edited file
    is sent again; entries are per target (bootstrap servers and topic).
    """

    def __init__(self, path: Path, target: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.target = target
        self._db = sqlite3.connect(path, timeout=60)  # two pushes at once wait for each other's commits
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS acknowledged (target TEXT, path TEXT, size INTEGER, mtime_ns INTEGER,"
            " PRIMARY KEY (target, path, size, mtime_ns)) WITHOUT ROWID"
        )
        self._db.commit()

    @classmethod
    def of(cls, settings: Settings) -> PushCheckpoint:
        return cls(
            settings.data_dir / "push" / "checkpoint.sqlite3",
            f"{settings.kafka_bootstrap}/{settings.topic_raw}",
        )

    def __contains__(self, key: FileKey) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM acknowledged WHERE target = ? AND path = ? AND size = ? AND mtime_ns = ?",
            (self.target, *key),
        ).fetchone()
        return row is not None

    def record(self, keys: Iterable[FileKey]) -> None:
        with self._db:  # one transaction
            self._db.executemany(
                "INSERT OR IGNORE INTO acknowledged VALUES (?, ?, ?, ?)", ((self.target, *k) for k in keys)
            )

    def close(self) -> None:
        self._db.close()


def make_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_kwargs(settings),
        acks="all",
        enable_idempotence=True,  # producer retries never duplicate a message in the log
        compression_type="gzip",
        linger_ms=20,
        max_request_size=settings.max_message_bytes,
    )
