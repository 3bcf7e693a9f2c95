"""``form4 parse PATH...``: parse filings offline and print JSON lines, no Kafka, no Faust.

One JSON line per transaction event (``form4.transaction/1``), or with ``--filing`` one JSON object
per filing. A file that cannot be parsed gets one line on stderr (file, reason code, message) and the
others go on; the exit status is 1 when any file failed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click

import parsers
from parsers import DEFAULT_MAX_BYTES, ParseError, to_events

__all__ = ["parse_command", "parse"]


def _inputs(paths: tuple[str, ...]) -> Iterator[tuple[str, Path | None]]:
    """Each input once, in a stable order: directories walked recursively and sorted."""
    for raw in paths:
        if raw == "-":
            yield "-", None
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                # Hidden files (.DS_Store, editor swap files) are never filings.
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield str(child), child
        else:
            yield raw, path


def _read(name: str, path: Path | None, stdin: BinaryIO) -> bytes:
    return stdin.read() if path is None else path.read_bytes()


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option(
    "--filing", "as_filing", is_flag=True, help="Print one JSON object per filing instead of per event."
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Reject larger inputs with reason too_large.",
)
def parse_command(paths: tuple[str, ...], as_filing: bool, max_bytes: int) -> None:
    """Parse Form 3/4/5 filings (XML, EDGAR submission text, HTML or text) and print JSON lines.

    PATH may be a file, a directory (walked recursively, in sorted order) or - for stdin.
    """
    out = click.get_binary_stream("stdout")
    stdin = click.get_binary_stream("stdin")
    failed = 0
    for name, path in _inputs(paths):
        try:
            content = _read(name, path, stdin)
        except OSError as exc:
            failed += 1
            click.echo(f"{name}: io_error: {exc.strerror or exc}", err=True)
            continue
        try:
            filing = parsers.parse(content, max_bytes=max_bytes)
        except ParseError as exc:
            failed += 1
            where = f" (at {exc.where})" if exc.where else ""
            click.echo(f"{name}: {exc.reason}: {exc.message}{where}", err=True)
            continue
        if as_filing:
            out.write(filing.model_dump_json().encode() + b"\n")
        else:
            for event in to_events(filing):
                out.write(event.to_json() + b"\n")
        out.flush()
    if failed:
        sys.exit(1)


parse = parse_command
"""The name ``streams.cli`` registers (``streams.cli.parse:parse``)."""
