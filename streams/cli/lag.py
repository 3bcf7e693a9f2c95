"""``form4 lag``: how far the worker group is behind on its source topics."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import click
import orjson
from aiokafka.errors import KafkaError

from streams.adapters.lag import format_table, group_lag_retrying
from streams.config.settings import get_settings

logging.getLogger("aiokafka").addHandler(logging.NullHandler())


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object: {group, partitions: [{topic, partition, committed, end, lag}], total_lag}.",
)
@click.option(
    "--watch",
    type=click.FloatRange(min=0.5),
    default=None,
    metavar="SECONDS",
    help="Print again every SECONDS until Ctrl-C.",
)
@click.option("--group", default=None, help="Consumer group (default: FORM4_APP_ID).")
@click.option(
    "--topic", "topics", multiple=True, help="Topic to report (repeatable; default: the source topics)."
)
def lag(as_json: bool, watch: float | None, group: str | None, topics: tuple[str, ...]) -> None:
    """Committed offset, end offset and lag per partition of the worker's consumer group."""
    settings = get_settings()
    try:
        while True:
            try:
                result = asyncio.run(group_lag_retrying(settings, list(topics) or None, group))
            except (KafkaError, OSError, TimeoutError) as exc:
                click.echo(
                    f"form4 lag: cannot read offsets from {settings.kafka_bootstrap}: {exc!r}", err=True
                )
                sys.exit(1)
            if as_json:
                click.echo(orjson.dumps(result.to_dict()).decode())
            else:
                click.echo(format_table(result))
            if watch is None:
                return
            sys.stdout.flush()
            time.sleep(watch)
            if not as_json:
                click.echo()
    except KeyboardInterrupt:
        pass
