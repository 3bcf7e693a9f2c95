"""``form4 alerts tail``: follow the alerts topic, filtered, as readable lines or JSON lines.

The tail never joins a consumer group and never commits: any number of people can tail at once
without taking partitions from the workers or from each other.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from streams.config.settings import Settings, get_settings
from streams.config.subscribers import AlertFilter
from streams.domain.records import SEVERITIES

# aiokafka logs each failed connection attempt; our one-line error is enough.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())

_RULES = ("large_sale", "large_fraction_sold", "liquidation", "cluster_selling")
_DEDUPE_WINDOW = 100_000  # alert ids remembered; a repeat arrives soon after the original, if at all


class TailError(RuntimeError):
    """The alerts topic cannot be read; the message is one line."""


def format_alert(alert: dict[str, Any]) -> str:
    """One readable line: time, kind, severity, rule, ticker (or issuer CIK), summary."""
    created = str(alert.get("created_at") or "")[:19].replace("T", " ")
    retracted = alert.get("kind") == "alert_retracted"
    summary = str(alert.get("summary") or "")
    if retracted and summary.startswith("RETRACTED: "):
        summary = summary[len("RETRACTED: ") :]  # the kind column already says so
    who = alert.get("ticker") or f"CIK {alert.get('issuer_cik')}"
    kind = "RETRACTED" if retracted else "ALERT"
    return (
        f"{created}  {kind:<9} {str(alert.get('severity', '?')).upper():<8} "
        f"{alert.get('rule', '?'):<19} {who:<10} {summary}"
    )


async def _assign(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - first metadata fetch is lazy
        partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise TailError(
            f"topic {topic!r} does not exist (is FORM4_TOPIC_ALERTS right? `form4 topics create`)"
        )
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    return tps


async def tail_alerts(
    settings: Settings,
    flt: AlertFilter,
    emit: Callable[[dict[str, Any], bytes], None],
    *,
    from_beginning: bool = False,
    max_messages: int | None = None,
    timeout: float | None = None,
) -> int:
    """Emit each new alert that passes ``flt`` once; returns how many were emitted.

    Stops after ``max_messages`` alerts or ``timeout`` seconds, whichever comes first (never, when
    both are ``None``).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await asyncio.wait_for(consumer.start(), timeout=30)
    except (KafkaError, OSError, TimeoutError) as exc:
        await consumer.stop()
        raise TailError(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc!r}") from exc
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    seen: OrderedDict[str, None] = OrderedDict()
    emitted = 0
    try:
        tps = await _assign(consumer, settings.topic_alerts)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        while max_messages is None or emitted < max_messages:
            wait_ms = 1000
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    break
                wait_ms = max(1, min(wait_ms, int(left * 1000)))
            batch = await consumer.getmany(timeout_ms=wait_ms)
            for record in (r for tp in sorted(batch, key=lambda t: t.partition) for r in batch[tp]):
                try:
                    alert = orjson.loads(record.value)
                    alert_id = str(alert["alert_id"])
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    click.echo(
                        f"form4 alerts: skipped a non-alert record at {record.topic}[{record.partition}]"
                        f"@{record.offset}",
                        err=True,
                    )
                    continue
                # At-least-once delivery may repeat an alert: show each id once per run.
                if alert_id in seen or not flt.matches(alert):
                    continue
                seen[alert_id] = None
                if len(seen) > _DEDUPE_WINDOW:
                    seen.popitem(last=False)
                emit(alert, record.value)
                emitted += 1
                if max_messages is not None and emitted >= max_messages:
                    break
        return emitted
    finally:
        await consumer.stop()


@click.group()
def alerts() -> None:
    """Read the form4.alert/1 records."""


@alerts.command()
@click.option("--ticker", multiple=True, help="Only this ticker (repeatable).")
@click.option("--issuer", multiple=True, help="Only this issuer CIK (repeatable).")
@click.option("--rule", multiple=True, type=click.Choice(_RULES), help="Only this rule (repeatable).")
@click.option("--min-severity", type=click.Choice(SEVERITIES), default=None, help="Lowest severity shown.")
@click.option("--min-value", type=Decimal, default=None, help="Lowest alert value in USD.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest alert (default: only new ones).")
@click.option("--json", "as_json", is_flag=True, help="One form4.alert/1 JSON object a line.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None, help="Stop after N alerts.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Stop after SECONDS.")
def tail(
    ticker: tuple[str, ...],
    issuer: tuple[str, ...],
    rule: tuple[str, ...],
    min_severity: str | None,
    min_value: Decimal | None,
    from_beginning: bool,
    as_json: bool,
    max_messages: int | None,
    timeout: float | None,
) -> None:
    """Print alerts as they arrive, until Ctrl-C (or --max-messages / --timeout)."""
    # click's Choice already limited rule and severity; model_validate checks them again, typed.
    flt = AlertFilter.model_validate(
        {
            "ticker": ticker,
            "issuer": issuer,
            "rule": rule,
            "min_severity": min_severity,
            "min_value": min_value,
        }
    )
    settings = get_settings()

    def emit(alert: dict[str, Any], raw: bytes) -> None:
        # --json prints the record as it is on the topic: the form4.alert/1 contract, untouched.
        click.echo(orjson.dumps(alert).decode() if as_json else format_alert(alert))
        sys.stdout.flush()

    if not as_json:
        where = "the beginning" if from_beginning else "now"
        click.echo(f"# {settings.topic_alerts} from {where}: {flt.describe()}", err=True)
    try:
        asyncio.run(
            tail_alerts(
                settings, flt, emit, from_beginning=from_beginning, max_messages=max_messages, timeout=timeout
            )
        )
    except TailError as exc:
        click.echo(f"form4 alerts: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
