"""``form4 topics create|list``: the form4 topics on the broker at FORM4_KAFKA_BOOTSTRAP."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from streams.adapters.kafka_security import KafkaAccessError
from streams.adapters.topics_admin import TopicAdminError, ensure_topics, list_topics
from streams.config.settings import get_settings

# aiokafka logs each failed connection attempt; with no handler configured Python's last-resort
# handler would print them next to our one-line error.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())


@click.group()
def topics() -> None:
    """Create and list the form4 topics."""


@topics.command()
def create() -> None:
    """Create the missing form4 topics (FORM4_TOPIC_PARTITIONS partitions each)."""
    settings = get_settings()
    try:
        created = asyncio.run(ensure_topics(settings))
    except TopicAdminError as exc:
        click.echo(f"form4 topics: {exc}", err=True)
        sys.exit(1)
    except KafkaAccessError as exc:  # refused (credentials, TLS): one line, the common exit status
        click.echo(f"form4 topics: {exc}", err=True)
        sys.exit(exc.exit_code)
    for name in settings.all_topics:
        click.echo(f"{'created' if name in created else 'exists '} {name}")


@topics.command(name="list")
@click.option("--internal", is_flag=True, help="Also list Kafka's __-prefixed internal topics.")
def list_(internal: bool) -> None:
    """Print the topic names on the broker, one a line."""
    try:
        names = asyncio.run(list_topics(get_settings(), internal=internal))
    except TopicAdminError as exc:
        click.echo(f"form4 topics: {exc}", err=True)
        sys.exit(1)
    except KafkaAccessError as exc:  # refused (credentials, TLS): one line, the common exit status
        click.echo(f"form4 topics: {exc}", err=True)
        sys.exit(exc.exit_code)
    for name in names:
        click.echo(name)
