"""``form4 push PATH... | -``: send raw filings to Kafka."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from streams.producer import PushReport, accession_of, iter_files, make_producer
from streams.settings import get_settings


async def _push(paths: list[Path], from_stdin: bool, progress: bool) -> PushReport:
    settings = get_settings()
    report = PushReport()
    producer = make_producer(settings)
    await producer.start()
    try:
        files = list(iter_files(paths))
        pending = []
        if from_stdin:
            raw = sys.stdin.buffer.read()
            key = accession_of(raw)
            pending.append(await producer.send(settings.topic_raw, raw, key=key.encode() if key else None))
        bar = click.progressbar(files, label="pushing", file=sys.stderr) if progress and len(files) > 200 else None
        for path in bar or files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                report.failed += 1
                report.errors.append(f"{path}: {exc.strerror or exc}")
                continue
            if not raw.strip():
                report.skipped += 1
                continue
            if len(raw) > settings.max_filing_bytes:
                # Sent anyway: the worker dead-letters it with reason too_large, so nothing is silently lost.
                pass
            key = accession_of(raw, path.name)
            pending.append(await producer.send(settings.topic_raw, raw, key=key.encode() if key else None))
        for fut in pending:
            try:
                await fut
                report.sent += 1
            except Exception as exc:  # noqa: BLE001 - per-message delivery failure is reported and counted
                report.failed += 1
                report.errors.append(str(exc))
    finally:
        await producer.stop()
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--progress/--no-progress", default=True, help="Progress bar for large batches.")
def push(paths: tuple[str, ...], progress: bool) -> None:
    """Push filings (files, directories, or - for stdin) to the raw topic, keyed by accession."""
    from_stdin = "-" in paths
    report = asyncio.run(_push([Path(p) for p in paths if p != "-"], from_stdin, progress))
    for line in report.errors[:20]:
        click.echo(f"form4 push: {line}", err=True)
    click.echo(f"sent {report.sent}, skipped {report.skipped}, failed {report.failed}")
    sys.exit(1 if report.failed else 0)
