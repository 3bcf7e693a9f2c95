"""``form4 lag``: how far a consumer group is behind: the worker's (and each webhook subscriber's), or any."""

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
    LagRequestError,
    SubscriberBacklog,
    format_backlogs,
    format_table,
    group_lag_retrying,
    webhook_backlogs,
)
from streams.cli.exit_codes import ConfigError, Unreachable
from streams.cli.options import bootstrap_server_option, cli_settings
from streams.config.settings import Settings

logging.getLogger("aiokafka").addHandler(logging.NullHandler())


async def read(
    settings: Settings, topics: list[str], group: str | None, timeout: float
) -> tuple[GroupLag, list[SubscriberBacklog] | None]:
    """The group's lag, and each webhook subscriber's backlog unless a group or topics were asked for.

    A group or topic asked for must exist (:class:`LagRequestError`); a broker that does not answer
    within ``timeout`` seconds ends the reading at once.
    """
    result = await group_lag_retrying(settings, topics or None, group, strict=True, timeout=timeout)
    if group or topics or not settings.webhooks:
        return result, None
    return result, await webhook_backlogs(settings, timeout=timeout)


def read_or_fail(
    settings: Settings, topics: list[str], group: str | None, timeout: float
) -> tuple[GroupLag, list[SubscriberBacklog] | None]:
    """:func:`read`, its failures as the CLI's errors: exit 2 for what does not exist, 3 for no Kafka."""
    try:
        return asyncio.run(read(settings, topics, group, timeout))
    except LagRequestError as exc:
        raise ConfigError(str(exc)) from exc
    except KafkaAccessError:
        raise  # refused (credentials, TLS): the group handler says why, exit 3
    except (KafkaError, OSError, TimeoutError) as exc:
        said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)  # no class prefix
        detail = said.strip() or type(exc).__name__
        raise Unreachable(f"cannot read offsets from Kafka at {settings.kafka_bootstrap}: {detail}") from exc


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
@click.option(
    "--group",
    default=None,
    help="Any consumer group: its lag on the topics it has committed offsets for "
    "(default: the worker's, FORM4_APP_ID, on its source topics).",
)
@click.option("--topic", "topics", multiple=True, help="Only this topic (repeatable; it must exist).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="How long to wait for the broker before exit 3 (default: FORM4_KAFKA_PROBE_TIMEOUT_SECONDS).",
)
@bootstrap_server_option
def lag(
    as_json: bool, watch: float | None, group: str | None, topics: tuple[str, ...], timeout: float | None
) -> None:
    """Committed offset, end offset and lag per partition of a consumer group.

    By default the worker's group on its source topics and, with FORM4_WEBHOOKS set, each webhook
    subscriber's backlog: the alerts its own consumer group has not yet delivered or dead-lettered.
    With --group, that group's own topics. An unknown group or topic is exit 2; no broker, exit 3.
    """
    settings = cli_settings()
    wait = settings.kafka_probe_timeout_seconds if timeout is None else timeout
    try:
        while True:
            result, backlogs = read_or_fail(settings, list(topics), group, wait)
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
