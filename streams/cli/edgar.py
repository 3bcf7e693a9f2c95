"""``form4 edgar follow|backfill``: EDGAR filings onto the live lane (follow) or the backfill lane."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime

import click
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

from streams.adapters.edgar.client import EdgarClient, EdgarConfigError, EdgarError
from streams.adapters.edgar.metrics import serve_metrics
from streams.adapters.edgar.run import Counts, KafkaSink, backfill, follow
from streams.cli.exit_codes import ConfigError, Unreachable
from streams.cli.options import bootstrap_server_option, cli_settings
from streams.config.settings import Settings


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _echo(line: str) -> None:
    click.echo(line, err=True)


def _run(
    settings: Settings, topic: str, job: Callable[[KafkaSink, asyncio.Event], Awaitable[Counts]]
) -> Counts:
    """Run ``job`` with a Kafka sink on ``topic`` until it ends or SIGINT/SIGTERM asks it to stop.

    No User-Agent or EDGAR refusing us (4xx) is exit 2; EDGAR not answering (after the retries) is 3,
    and so is Kafka (left to the group's handler).
    """

    async def main() -> Counts:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # A stop finishes the batch in flight (sent and checkpointed), then exits cleanly.
            loop.add_signal_handler(sig, stop.set)
        async with KafkaSink(settings, topic) as sink:
            return await job(sink, stop)

    try:
        EdgarClient(settings)  # refuse to start without a declared User-Agent, before reaching Kafka
        return asyncio.run(main())
    except EdgarConfigError as exc:
        raise ConfigError(str(exc)) from exc
    except (KafkaConnectionError, KafkaTimeoutError) as exc:
        raise Unreachable(f"cannot reach Kafka at {settings.kafka_bootstrap}: {_first_line(exc)}") from exc
    except EdgarError as exc:
        if exc.status is None or exc.status == 429 or exc.status >= 500:
            raise Unreachable(f"EDGAR did not answer: {exc}") from exc
        raise ConfigError(f"EDGAR refused the request: {exc}") from exc


@click.group()
def edgar() -> None:
    """Fetch Form 3/4/5 filings from SEC EDGAR (needs FORM4_EDGAR_USER_AGENT)."""


def _serve_metrics(settings: Settings, port: int | None) -> None:
    """Prometheus /metrics of the poller on ``port`` or FORM4_EDGAR_METRICS_PORT, if either is set."""
    try:
        served = serve_metrics(settings, port)
    except OSError as exc:  # port in use, or the address is not ours
        raise ConfigError(f"cannot serve metrics on {settings.web_host}:{port}: {exc}") from exc
    if served:
        _echo(f"metrics on http://{settings.web_host}:{served}/metrics")


_METRICS_PORT = click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Serve Prometheus metrics on this port (default: FORM4_EDGAR_METRICS_PORT; none when unset).",
)


@edgar.command("follow")
@click.option("--once", is_flag=True, help="Poll the feed once and exit (for tests and cron).")
@_METRICS_PORT
@bootstrap_server_option
def follow_cmd(once: bool, metrics_port: int | None) -> None:
    """Poll EDGAR's latest-filings feed every FORM4_EDGAR_POLL_SECONDS and push new filings."""
    settings = cli_settings()
    _serve_metrics(settings, metrics_port)
    total = _run(
        settings,
        settings.topic_raw,
        lambda sink, stop: follow(settings, sink, once=once, stop=stop, echo=_echo),
    )
    click.echo(f"sent {total.sent}, already sent {total.known}, failed {total.failed}")
    # A long-running follow retries failed filings on the next poll; only a single poll can fail.
    sys.exit(1 if once and total.failed else 0)


def _day(ctx: click.Context, param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value else None


@edgar.command("backfill")
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_day,
    help="First filing date (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    default=None,
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_day,
    help="Last filing date, inclusive (default: today).",
)
@click.option("--resume/--no-resume", default=True, help="Skip days the checkpoint says are done.")
@_METRICS_PORT
@bootstrap_server_option
def backfill_cmd(start: date, end: date | None, resume: bool, metrics_port: int | None) -> None:
    """Push every Form 3/4/5 filing of EDGAR's daily form indexes in a date range, to the backfill
    topic (FORM4_TOPIC_BACKFILL): live filings overtake them."""
    settings = cli_settings()
    _serve_metrics(settings, metrics_port)
    last = end or date.today()
    if last < start:
        raise click.BadParameter(f"--to {last} is before --from {start}")
    # The backfill lane: the worker reads it only while no live filing waits (streams.worker.lanes).
    total = _run(
        settings,
        settings.topic_backfill,
        lambda sink, stop: backfill(settings, sink, start, last, resume=resume, stop=stop, echo=_echo),
    )
    click.echo(f"sent {total.sent}, already sent {total.known}, failed {total.failed}")
    sys.exit(1 if total.failed else 0)
