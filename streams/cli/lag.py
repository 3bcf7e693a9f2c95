"""``form4 lag``: how far the worker group is behind on its source topics."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import click
import orjson
from aiokafka.errors import KafkaError

from streams.adapters.kafka_security import KafkaAccessError
from streams.adapters.lag import (
    GroupLag,
    SubscriberBacklog,
    format_backlogs,
    format_table,
    group_lag_retrying,
    webhook_backlogs,
)
from streams.config.settings import Settings, get_settings

logging.getLogger("aiokafka").addHandler(logging.NullHandler())


async def read(
    settings: Settings, topics: list[str], group: str | None
) -> tuple[GroupLag, list[SubscriberBacklog] | None]:
    """The group's lag, and each webhook subscriber's backlog unless a group or topics were asked for."""
    result = await group_lag_retrying(settings, topics or None, group)
    if group or topics or not settings.webhooks:
        return result, None
    return result, await webhook_backlogs(settings)


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object: {group, partitions: [{topic, partition, committed, end, lag}], total_lag, "
    "webhooks: [{subscriber, backlog, group, partitions, total_lag}]}.",
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
    """Committed offset, end offset and lag per partition of the worker's consumer group.

    With FORM4_WEBHOOKS set, also each webhook subscriber's backlog: the alerts its own consumer group
    has not yet delivered or dead-lettered.
    """
    settings = get_settings()
    try:
        while True:
            try:
                result, backlogs = asyncio.run(read(settings, list(topics), group))
            except KafkaAccessError as exc:  # refused (credentials, TLS): one line, exit 3
                click.echo(f"form4 lag: {exc}", err=True)
                sys.exit(exc.exit_code)
            except (KafkaError, OSError, TimeoutError) as exc:
                click.echo(
                    f"form4 lag: cannot read offsets from {settings.kafka_bootstrap}: {exc!r}", err=True
                )
                sys.exit(1)
            if as_json:
                out = result.to_dict()
                if backlogs is not None:
                    out["webhooks"] = [b.to_dict() for b in backlogs]
                click.echo(orjson.dumps(out).decode())
            else:
                click.echo(format_table(result))
                if backlogs is not None:
                    click.echo(format_backlogs(backlogs, settings.topic_alerts))
            if watch is None:
                return
            sys.stdout.flush()
            time.sleep(watch)
            if not as_json:
                click.echo()
    except KeyboardInterrupt:
        pass
