"""``form4 push PATH... | -``: send raw filings to Kafka.

Counting: *sent* = acknowledged by Kafka; *skipped* = not a filing by its suffix, or empty;
*failed* = unreadable (missing, permissions) or refused by Kafka. Exit status 1 when any failed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import click
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata

from streams.adapters.acks import send_acked
from streams.adapters.producer import FILING_SUFFIXES, PushReport, accession_of, make_producer
from streams.config.settings import Settings, get_settings

Verdict = Literal["push", "skip"]


def candidates(paths: Iterable[Path]) -> Iterator[tuple[Path, Verdict]]:
    """Every file under ``paths`` (directories walked recursively, sorted), with whether to push it.

    A named path that does not exist is still yielded as ``push``, so reading it fails and counts.
    """
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            yield file, "push" if file.suffix.lower() in FILING_SUFFIXES else "skip"


async def push_filings(
    settings: Settings, paths: list[Path], stdin: BinaryIO | None = None, progress: bool = False
) -> PushReport:
    """Send the filings under ``paths`` (and one from ``stdin``) to ``settings.topic_raw``.

    Keys are accession numbers, from the submission header or the file name, when there is one.
    """
    report = PushReport()
    producer = make_producer(settings)
    names: list[str] = []  # of each record sent, in send order: acknowledgements come back in it

    def sends() -> Iterator[Awaitable[Awaitable[RecordMetadata]]]:
        """One send per filing, read as send_acked asks for it (files are not all held in memory)."""

        def send(raw: bytes, name: str | None) -> Iterator[Awaitable[Awaitable[RecordMetadata]]]:
            if not raw.strip():
                report.skipped += 1
                return
            # Larger than max_filing_bytes is sent anyway: the worker dead-letters it with reason
            # too_large, so nothing is silently lost.
            key = accession_of(raw, name)
            names.append(name or "-")
            yield producer.send(settings.topic_raw, raw, key=key.encode() if key else None)

        if stdin is not None:
            yield from send(stdin.read(), None)
        found = list(candidates(paths))
        show = progress and len(found) > 200
        bar = click.progressbar(found, label="pushing", file=sys.stderr) if show else None
        for path, verdict in bar or found:
            if verdict == "skip":
                report.skipped += 1
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:
                report.failed += 1
                report.errors.append(f"{path}: {exc.strerror or exc}")
                continue
            yield from send(raw, path.name)

    await producer.start()
    try:
        acks = await send_acked(sends(), return_exceptions=True)
    finally:
        await producer.stop()
    for name, ack in zip(names, acks, strict=True):
        if isinstance(ack, Exception):  # a per-message delivery failure is reported and counted
            report.failed += 1
            report.errors.append(f"{name}: {ack}")
        else:
            report.sent += 1
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--progress/--no-progress", default=True, help="Progress bar for large batches.")
def push(paths: tuple[str, ...], progress: bool) -> None:
    """Push filings (files, directories, or - for stdin) to the raw topic, keyed by accession."""
    settings = get_settings()
    stdin = sys.stdin.buffer if "-" in paths else None
    try:
        report = asyncio.run(push_filings(settings, [Path(p) for p in paths if p != "-"], stdin, progress))
    except KafkaError as exc:  # no broker: one clear line, not a traceback
        click.echo(f"form4 push: cannot reach Kafka at {settings.kafka_bootstrap}: {exc}", err=True)
        sys.exit(2)
    for line in report.errors[:20]:
        click.echo(f"form4 push: {line}", err=True)
    if len(report.errors) > 20:
        click.echo(f"form4 push: ... and {len(report.errors) - 20} more", err=True)
    click.echo(f"sent {report.sent}, skipped {report.skipped}, failed {report.failed}")
    sys.exit(1 if report.failed else 0)
