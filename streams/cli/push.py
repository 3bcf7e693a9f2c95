"""``form4 push PATH... | -``: send raw filings to Kafka, streaming, and account for every file.

Filings go to the live lane (``FORM4_TOPIC_RAW``), or with ``--backfill`` to the backfill lane
(``FORM4_TOPIC_BACKFILL``), which the worker reads only while the live lane has no lag: a large
push of old filings then never delays a live one (``streams.worker.lanes``).

Counting: *sent* = acknowledged by Kafka; *skipped* = not a filing by its suffix (directories only),
empty, or already acknowledged in an earlier run (``--resume``); *failed* = unreadable, larger than
``FORM4_MAX_FILING_BYTES`` (``too_large``: not sent, since the worker could only dead-letter it and Kafka
may refuse it outright), refused by Kafka, or not sent because Kafka stopped answering. The counts and
the reasons are printed on every exit.

Exit status: 0 all sent or skipped; 1 some failed; 2 a named path does not exist (nothing sent);
3 Kafka could not be reached at all (nothing acknowledged); 130 interrupted (Ctrl-C, SIGTERM).

Memory and in-flight sends are bounded: directories are walked one listing at a time, files are read
one at a time and sent in batches of at most ``batch_files`` files and ``batch_bytes`` bytes, each
batch's acknowledgements awaited (and recorded in the ``--resume`` checkpoint) before the next.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat as stat_mode
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import click
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from aiokafka.structs import RecordMetadata

from streams.adapters.acks import send_acked
from streams.adapters.kafka_security import KafkaAccessError, start_checked
from streams.adapters.producer import (
    FILING_SUFFIXES,
    FileKey,
    PushCheckpoint,
    PushReport,
    accession_of,
    file_key,
    make_producer,
    walk_files,
)
from streams.cli.exit_codes import OK, PARTLY_FAILED, UNREACHABLE, USAGE
from streams.cli.options import bootstrap_server_option, cli_settings
from streams.config.settings import Settings

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
BATCH_FILES = 500
BATCH_BYTES = 32 * 1024 * 1024
PROGRESS_MIN_FILES = 200  # a bar for fewer files is noise

SKIP_SUFFIX = "not a filing (suffix)"
SKIP_EMPTY = "empty"
SKIP_RESUMED = "already sent (--resume)"
FAIL_UNREADABLE = "unreadable"
FAIL_TOO_LARGE = "too_large"
FAIL_NOT_SENT = "not sent: Kafka unreachable"
FAIL_INTERRUPTED = "interrupted before Kafka acknowledged"

Progress = Callable[[int], None]


class Producer(Protocol):
    """What a push needs of aiokafka's producer (tests pass a fake)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> Awaitable[RecordMetadata]: ...


@dataclass(frozen=True)
class Candidate:
    """A file to consider: ``named`` when given on the command line (pushed whatever its suffix)."""

    path: Path
    named: bool


def candidates(paths: Iterable[Path], report: PushReport) -> Iterator[Candidate]:
    """Every file under ``paths`` (directories walked recursively, sorted), streamed.

    A directory that cannot be listed is counted failed in ``report``.
    """

    def unlistable(directory: Path, exc: OSError) -> None:
        report.fail(FAIL_UNREADABLE, str(directory), exc.strerror or str(exc))

    for path in paths:
        if path.is_dir():
            yield from (Candidate(p, named=False) for p in walk_files(path, unlistable))
        else:
            yield Candidate(path, named=True)


def count_files(paths: Iterable[Path]) -> int:
    """How many files a push of ``paths`` looks at (for the progress bar): a walk, nothing read."""
    return sum(1 for _ in candidates(paths, PushReport()))


@dataclass
class Outgoing:
    """One filing read and ready to send."""

    name: str
    raw: bytes
    key: FileKey | None
    """Its checkpoint key (regular files only; ``None`` for stdin and pipes)."""


@dataclass
class Batch:
    items: list[Outgoing] = field(default_factory=list)
    size: int = 0

    def add(self, item: Outgoing) -> None:
        self.items.append(item)
        self.size += len(item.raw)


def _why(exc: BaseException) -> str:
    # aiokafka's errors already start with their class name
    text = str(exc)
    return text if text.startswith(type(exc).__name__) else f"{type(exc).__name__}: {text}"


def is_unreachable(exc: BaseException) -> bool:
    """Whether a failed send means Kafka is not answering (stop), rather than refusing this record.

    aiokafka has already retried retriable errors until its request timeout when one surfaces here.
    """
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


class Pusher:
    """One push: reads, batches, sends, counts and checkpoints."""

    def __init__(
        self,
        settings: Settings,
        producer: Producer,
        checkpoint: PushCheckpoint,
        *,
        resume: bool,
        progress: Progress | None,
        stop: asyncio.Event,
        batch_files: int,
        batch_bytes: int,
        topic: str,
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.producer = producer
        self.checkpoint = checkpoint
        self.resume = resume
        self.progress = progress or (lambda n: None)
        self.stop = stop
        self.batch_files = batch_files
        self.batch_bytes = batch_bytes
        self.report = PushReport()

    def prepare(self, candidate: Candidate) -> Outgoing | None:
        """Read one file; ``None`` when it is skipped or failed (counted, with the reason)."""
        path, report = candidate.path, self.report
        if not candidate.named and path.suffix.lower() not in FILING_SUFFIXES:
            report.skip(SKIP_SUFFIX)
            return None
        try:
            info = path.stat()
        except OSError as exc:
            report.fail(FAIL_UNREADABLE, str(path), exc.strerror or str(exc))
            return None
        regular = stat_mode.S_ISREG(info.st_mode)
        key = file_key(path, info) if regular else None
        if key is not None and self.resume and key in self.checkpoint:
            report.skip(SKIP_RESUMED)
            return None
        limit = self.settings.max_filing_bytes
        if regular and info.st_size > limit:  # never read: a 100 MB file costs nothing
            report.fail(FAIL_TOO_LARGE, str(path), f"{info.st_size} bytes > FORM4_MAX_FILING_BYTES={limit}")
            return None
        try:
            with path.open("rb") as f:
                raw = f.read(limit + 1)  # a pipe, or a file that grew since stat: read no more than needed
        except OSError as exc:
            report.fail(FAIL_UNREADABLE, str(path), exc.strerror or str(exc))
            return None
        if len(raw) > limit:
            report.fail(FAIL_TOO_LARGE, str(path), f"more than FORM4_MAX_FILING_BYTES={limit} bytes")
            return None
        if not raw.strip():
            report.skip(SKIP_EMPTY)
            return None
        return Outgoing(str(path), raw, key)

    def account_unsent(self, rest: Iterator[Candidate]) -> None:
        """Count the files not attempted after Kafka stopped answering, without reading them."""
        for candidate in rest:
            path = candidate.path
            if not candidate.named and path.suffix.lower() not in FILING_SUFFIXES:
                self.report.skip(SKIP_SUFFIX)
                continue
            try:
                info = path.stat()
            except OSError as exc:
                self.report.fail(FAIL_UNREADABLE, str(path), exc.strerror or str(exc))
                continue
            if self.resume and stat_mode.S_ISREG(info.st_mode) and file_key(path, info) in self.checkpoint:
                self.report.skip(SKIP_RESUMED)
            elif stat_mode.S_ISREG(info.st_mode) and info.st_size == 0:
                self.report.skip(SKIP_EMPTY)
            else:
                self.report.fail(FAIL_NOT_SENT, str(path))

    async def _queue(self, item: Outgoing) -> Awaitable[RecordMetadata]:
        """Queue one record; a send that cannot even be queued becomes that record's failed ack."""
        failed: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        if self.report.unreachable is not None:  # each send would wait out the request timeout again
            failed.set_exception(KafkaConnectionError(self.report.unreachable))
            return failed
        key = accession_of(item.raw, None if item.name == "-" else Path(item.name).name)
        try:
            ack = await self.producer.send(self.topic, item.raw, key=key.encode() if key else None)
        except KafkaError as exc:
            if is_unreachable(exc):
                self.report.unreachable = _why(exc)
            failed.set_exception(exc)
            return failed
        return ack

    async def flush(self, batch: Batch) -> None:
        """Send the batch, await every acknowledgement, count each file and checkpoint the acknowledged."""
        if not batch.items:
            return
        try:
            acks = await send_acked((self._queue(i) for i in batch.items), return_exceptions=True)
        except asyncio.CancelledError:  # a second Ctrl-C: no more waiting for Kafka
            for item in batch.items:
                self.report.fail(FAIL_INTERRUPTED, item.name)
            raise
        acknowledged: list[FileKey] = []
        for item, ack in zip(batch.items, acks, strict=True):
            if not isinstance(ack, Exception):
                self.report.sent += 1
                if item.key is not None:
                    acknowledged.append(item.key)
            elif is_unreachable(ack):
                self.report.unreachable = self.report.unreachable or _why(ack)
                self.report.fail(FAIL_NOT_SENT, item.name, type(ack).__name__)
            else:  # Kafka refused this record (too large for the topic, invalid...): the others go on
                self.report.fail(f"refused by Kafka: {type(ack).__name__}", item.name, str(ack))
        self.checkpoint.record(acknowledged)
        self.progress(len(batch.items))
        batch.items, batch.size = [], 0

    async def run(self, paths: list[Path], stdin: BinaryIO | None) -> PushReport:
        batch = Batch()
        if stdin is not None:
            raw = stdin.read(self.settings.max_filing_bytes + 1)
            if len(raw) > self.settings.max_filing_bytes:
                self.report.fail(FAIL_TOO_LARGE, "-", f"more than {self.settings.max_filing_bytes} bytes")
            elif not raw.strip():
                self.report.skip(SKIP_EMPTY)
            else:
                batch.add(Outgoing("-", raw, None))
        rest = candidates(paths, self.report)
        for candidate in rest:
            if self.stop.is_set():
                self.report.interrupted = True
                break
            item = self.prepare(candidate)
            if item is None:
                self.progress(1)
                continue
            # Flush first when this file would overflow the byte budget: at most one file over it.
            if batch.items and batch.size + len(item.raw) > self.batch_bytes:
                await self.flush(batch)
            batch.add(item)
            if len(batch.items) >= self.batch_files:
                await self.flush(batch)
            if self.report.unreachable is not None:
                break
        await self.flush(batch)
        if self.report.unreachable is not None and not self.report.interrupted:
            self.account_unsent(rest)
        if self.stop.is_set():
            self.report.interrupted = True
        return self.report


async def push_filings(
    settings: Settings,
    paths: list[Path],
    stdin: BinaryIO | None = None,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    handle_signals: bool = False,
    batch_files: int = BATCH_FILES,
    batch_bytes: int = BATCH_BYTES,
    backfill: bool = False,
) -> PushReport:
    """Send the filings under ``paths`` (and one from ``stdin``) to ``settings.topic_raw``, or with
    ``backfill`` to ``settings.topic_backfill``; the report.

    Keys are accession numbers, from the submission header or the file name, when there is one. With
    ``handle_signals`` the first SIGINT/SIGTERM stops after the batch in flight is acknowledged (and
    checkpointed); a second one stops at once. ``--resume`` skips what was acknowledged on the same
    lane: the checkpoint's entries are per topic.
    """
    stop = asyncio.Event()
    topic = settings.topic_backfill if backfill else settings.topic_raw
    # PushCheckpoint.of names its target after topic_raw: the lane's topic in its place.
    checkpoint = PushCheckpoint.of(settings.model_copy(update={"topic_raw": topic}))
    pusher = Pusher(
        settings,
        make_producer(settings),
        checkpoint,
        resume=resume,
        progress=progress,
        stop=stop,
        batch_files=batch_files,
        batch_bytes=batch_bytes,
        topic=topic,
    )
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()

    def on_signal() -> None:
        if stop.is_set() and main is not None:
            main.cancel()
        stop.set()

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    producer = pusher.producer
    try:
        try:
            await start_checked(producer, settings)
        except KafkaAccessError:
            # Refused (credentials, TLS), not unreachable: nothing to resume, one line and exit 3
            # from the form4 group's handler.
            await producer.stop()
            raise
        except KafkaError as exc:
            await producer.stop()  # a producer that never started still holds a client to close
            pusher.report.unreachable = _why(exc)
            pusher.account_unsent(candidates(paths, pusher.report))
            if stdin is not None:
                pusher.report.fail(FAIL_NOT_SENT, "-")
            return pusher.report
        try:
            return await pusher.run(paths, stdin)
        except asyncio.CancelledError:
            pusher.report.interrupted = True
            if main is not None:
                main.uncancel()
            return pusher.report
        finally:
            await producer.stop()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        checkpoint.close()


def exit_code(report: PushReport) -> int:
    if report.interrupted:
        return EXIT_INTERRUPTED
    if report.unreachable is not None and report.sent == 0:
        return UNREACHABLE
    return PARTLY_FAILED if report.failed_total else OK


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def print_report(report: PushReport, settings: Settings) -> None:
    for line in report.errors:
        click.echo(f"form4 push: {line}", err=True)
    if report.more_errors:
        click.echo(f"form4 push: ... and {report.more_errors} more", err=True)
    if report.skipped:
        click.echo(f"form4 push: skipped {_reasons(report.skipped)}", err=True)
    if report.failed:
        click.echo(f"form4 push: failed {_reasons(report.failed)}", err=True)
    if report.unreachable is not None:
        click.echo(
            f"form4 push: cannot reach Kafka at {settings.kafka_bootstrap}: {report.unreachable}; "
            "run again with --resume to send the rest",
            err=True,
        )
    if report.interrupted:
        click.echo("form4 push: interrupted; run again with --resume to send the rest", err=True)
    click.echo(f"sent {report.sent}, skipped {report.skipped_total}, failed {report.failed_total}")


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--progress/--no-progress",
    default=True,
    help=f"Progress bar on a terminal, for more than {PROGRESS_MIN_FILES} files.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Skip the files an earlier push already had acknowledged (same path, size and mtime).",
)
@click.option(
    "--backfill",
    is_flag=True,
    help="Send to the backfill topic (FORM4_TOPIC_BACKFILL), which the worker reads only while no live "
    "filing waits: for old filings in bulk.",
)
@bootstrap_server_option
def push(paths: tuple[str, ...], progress: bool, resume: bool, backfill: bool) -> None:
    """Push filings (files, directories, or - for stdin) to the raw topic, keyed by accession.

    Directories are walked recursively for .xml, .txt, .htm, .html and .nc files; files named on the
    command line are pushed whatever their name. With --backfill they go to the backfill topic, so live
    filings overtake them.
    """
    settings = cli_settings()
    named = [Path(p) for p in paths if p != "-"]
    missing = [p for p in named if not os.path.lexists(p)]
    if missing:
        click.echo(f"form4 push: no such file or directory: {', '.join(map(str, missing))}", err=True)
        sys.exit(USAGE)
    stdin = sys.stdin.buffer if "-" in paths else None

    def run(bar: Progress | None) -> PushReport:
        return asyncio.run(
            push_filings(
                settings, named, stdin, resume=resume, progress=bar, handle_signals=True, backfill=backfill
            )
        )

    total = count_files(named) if progress and sys.stderr.isatty() else 0
    if total > PROGRESS_MIN_FILES:
        with click.progressbar(length=total, label="pushing", file=sys.stderr) as bar:
            report = run(bar.update)
    else:
        report = run(None)
    print_report(report, settings)
    sys.exit(exit_code(report))
