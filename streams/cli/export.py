"""``form4 export transactions|alerts|positions -o FILE``: history out, as CSV, Parquet or JSON lines.

Transactions and alerts are read from their topics, from the beginning to the end offsets seen at
the start (then the command stops); positions come from a worker's ``GET /positions/all`` or, with
``--offline FILES``, from replaying filings here. Column types: :mod:`streams.adapters.export_rows`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

import click
import orjson

from streams.adapters.export_rows import Dataset, ExportError, Format, RowWriter, flatten, keep
from streams.adapters.topic_reader import UnknownTopic, iter_topic
from streams.cli import positions as positions_cli
from streams.cli.exit_codes import ConfigError, PartlyFailed, Unreachable
from streams.cli.options import DATE, bootstrap_server_option, cli_settings
from streams.config.settings import Settings

# aiokafka logs each failed connection attempt; our one-line error is enough.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())

_SUFFIXES: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl"}
_SUFFIXES |= {".ndjson": "jsonl", ".json": "jsonl"}


def format_for(output: str, fmt: str | None) -> Format:
    """``--format``, or the one the output's suffix names."""
    if fmt is not None:
        return cast(Format, fmt)
    found = _SUFFIXES.get(Path(output).suffix.lower())
    if found is None:
        raise click.UsageError(f"say --format csv|parquet|jsonl (cannot tell it from {output!r})")
    return found


def live_positions(url: str) -> list[dict[str, Any]]:
    """Every position of the worker at ``url`` (``GET /positions/all``)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/positions/all", timeout=60) as resp:  # noqa: S310
            body: dict[str, Any] = orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise Unreachable(f"the worker at {url} answered {exc.code}: {exc.read()[:200]!r}") from exc
    except OSError as exc:
        raise Unreachable(
            f"no worker at {url} ({exc}); start one with `form4 worker`, or use --offline"
        ) from exc
    positions: list[dict[str, Any]] = body["positions"]
    return positions


def offline_positions(files: tuple[Path, ...], settings: Settings) -> tuple[list[dict[str, Any]], int]:
    """Every position from replaying FILES here, and how many files failed: ``form4 positions
    --offline``'s own computation, for all issuers, so both always answer in the same shape."""
    body, failures = positions_cli.offline_positions(files, "", None, settings)
    found: list[dict[str, Any]] = body["positions"]
    return found, len(failures)


async def _export_topic(
    settings: Settings,
    topic: str,
    dataset: Dataset,
    writer: RowWriter,
    since: date | None,
    tickers: frozenset[str],
) -> int:
    """Write the topic's matching records; returns how many records were read."""
    read = 0
    async for record in iter_topic(settings, topic):
        read += 1
        wire: Mapping[str, Any] = orjson.loads(record.value)
        row = flatten(dataset, wire, parquet_scale=writer.fmt == "parquet")
        if keep(dataset, row, since, tickers):
            writer.write(row, wire, record.value)
    return read


def _positions(
    url: str | None, offline: bool, files: tuple[Path, ...], settings: Settings
) -> Iterator[dict[str, Any]]:
    if offline:
        if not files:
            raise click.UsageError("--offline needs FILES: filings, or folders of them")
        found, failed = offline_positions(files, settings)
        if failed:
            click.echo(f"form4 export: {failed} file(s) did not parse (see `form4 parse`)", err=True)
        return iter(found)
    if files:
        raise click.UsageError("FILES are read only with --offline")
    return iter(live_positions(url or f"http://{settings.web_host}:{settings.web_port}"))


@click.command()
@click.argument("dataset", type=click.Choice(["transactions", "alerts", "positions"]))
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="Where to write; - for standard output (CSV and JSONL).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "jsonl"]),
    default=None,
    help="Default: from FILE's suffix (.csv, .parquet, .jsonl).",
)
@click.option(
    "--since",
    type=DATE,
    default=None,
    help="Only from this date: trade date (transactions), creation date (alerts), as-of date (positions).",
)
@click.option("--ticker", multiple=True, help="Only this ticker (repeatable, case-insensitive).")
@click.option(
    "--url", default=None, help="positions: worker base URL (default http://FORM4_WEB_HOST:FORM4_WEB_PORT)."
)
@click.option("--offline", is_flag=True, help="positions: replay FILES here instead of asking a worker.")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@bootstrap_server_option
def export(
    dataset: Dataset,
    output: str,
    fmt: str | None,
    since: date | None,
    ticker: tuple[str, ...],
    url: str | None,
    offline: bool,
    files: tuple[Path, ...],
) -> None:
    """Write DATASET (transactions, alerts or positions) to FILE as CSV, Parquet or JSON lines.

    \b
    form4 export transactions --since 2025-01-01 -o tx.parquet
    form4 export alerts --ticker AAPL -o alerts.csv
    form4 export positions --offline ../shared/filings -o positions.parquet
    """
    chosen = format_for(output, fmt)
    if output == "-" and chosen == "parquet":
        raise click.UsageError("Parquet needs a file: -o FILE.parquet")
    if dataset != "positions" and (offline or files or url):
        raise click.UsageError(
            "--offline, FILES and --url are for positions; transactions and alerts come from Kafka"
        )
    settings = cli_settings()
    tickers = frozenset(t.strip().upper() for t in ticker)
    # Written next to FILE and renamed at the end: a failed export never leaves a truncated file.
    partial = None if output == "-" else Path(f"{output}.partial")
    target: Path | IO[bytes] = partial if partial is not None else sys.stdout.buffer
    read = 0
    try:
        with RowWriter(dataset, chosen, target) as writer:
            if dataset == "positions":
                for position in _positions(url, offline, files, settings):
                    read += 1
                    row = flatten(dataset, position, parquet_scale=chosen == "parquet")
                    if keep(dataset, row, since, tickers):
                        writer.write(row, position)
            else:
                topic = settings.topic_transactions if dataset == "transactions" else settings.topic_alerts
                try:
                    read = asyncio.run(_export_topic(settings, topic, dataset, writer, since, tickers))
                except UnknownTopic as exc:
                    raise ConfigError(
                        f"{exc} (FORM4_TOPIC_{dataset.upper()}? `form4 topics create`)"
                    ) from exc
                except TimeoutError as exc:
                    raise Unreachable(
                        f"Kafka at {settings.kafka_bootstrap} did not answer in time ({exc})"
                    ) from exc
    except BaseException as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        if isinstance(exc, ExportError):
            raise PartlyFailed(f"stopped, nothing written: {exc}") from exc
        raise
    if partial is not None:
        os.replace(partial, output)
    where = "standard output" if output == "-" else output
    click.echo(f"form4 export: {writer.count} of {read} {dataset} to {where} ({chosen})", err=True)
