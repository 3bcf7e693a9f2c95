"""``form4 topics create|list``: the form4 topics on the broker at FORM4_KAFKA_BOOTSTRAP.

Kafka that cannot be reached (or refuses us) is left to the group's handler: one line, exit 3.
"""

from __future__ import annotations

import asyncio
import logging

import click

from streams.adapters.topics_admin import TopicRefused, ensure_topics, list_topics
from streams.cli.exit_codes import ConfigError
from streams.cli.options import bootstrap_server_option, cli_settings

# aiokafka logs each failed connection attempt; with no handler configured Python's last-resort
# handler would print them next to our one-line error.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())


@click.group()
def topics() -> None:
    """Create and list the form4 topics."""


@topics.command()
@bootstrap_server_option
def create() -> None:
    """Create the missing form4 topics (FORM4_TOPIC_PARTITIONS partitions each)."""
    settings = cli_settings()
    try:
        created = asyncio.run(ensure_topics(settings))
    except TopicRefused as exc:  # the broker answered no (replication factor, policy): fix, not retry
        raise ConfigError(str(exc)) from exc
    for name in settings.all_topics:
        click.echo(f"{'created' if name in created else 'exists '} {name}")


@topics.command(name="list")
@click.option("--internal", is_flag=True, help="Also list Kafka's __-prefixed internal topics.")
@bootstrap_server_option
def list_(internal: bool) -> None:
    """Print the topic names on the broker, one a line."""
    for name in asyncio.run(list_topics(cli_settings(), internal=internal)):
        click.echo(name)
