"""``form4 alerts tail``: follow the alerts topic, filtered, as readable lines or JSON lines.

The tail never joins a consumer group and never commits: any number of people can tail at once
without taking partitions from the workers or from each other.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import click
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from streams.adapters.kafka_security import KafkaAccessError, client_kwargs, start_checked
from streams.cli.exit_codes import UNREACHABLE, USAGE
from streams.cli.options import AMOUNT, DATE, bootstrap_server_option, cli_settings
from streams.config.settings import Settings
from streams.config.subscribers import AlertFilter, normalise_cik
from streams.domain.records import SEVERITIES

# aiokafka logs each failed connection attempt; our one-line error is enough.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())

_RULES = ("large_sale", "large_fraction_sold", "liquidation", "cluster_selling")
_DEDUPE_WINDOW = 100_000  # alert ids remembered; a repeat arrives soon after the original, if at all


#: Colour of each severity on a terminal (rich styles); retractions are also struck through.
SEVERITY_STYLES: dict[str, str] = {
    "low": "dim",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


class TailError(RuntimeError):
    """The alerts topic cannot be read; the message is one line, ``exit_code`` per exit_codes.py."""

    def __init__(self, message: str, exit_code: int = UNREACHABLE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _span(first: object, last: object) -> str:
    a, b = str(first or "")[:10], str(last or "")[:10]
    if not a and not b:
        return "-"
    return a or b if not (a and b) or a == b else f"{a}..{b}"


def _date_span(dates: object) -> str:
    """``first..last`` of a list of ISO dates (one date when they are all the same), ``-`` when empty."""
    days = sorted({str(d)[:10] for d in dates or [] if d}) if isinstance(dates, list | tuple) else []
    return _span(days[0], days[-1]) if days else "-"


def alert_dates(alert: Mapping[str, Any]) -> tuple[str, str]:
    """(trade dates, filing dates) of an alert as short text, ``-`` when the record does not say.

    Trade dates: a cluster's window (``figures.window_start``..``window_end``), else the first..last of
    the alert's ``transaction_dates``; filing dates: the first..last of its ``filing_dates`` (one date
    when there is one). Records from producers before those fields show ``-``.
    """
    figures: Mapping[str, Any] = alert.get("figures") or {}
    trade = _span(figures.get("window_start"), figures.get("window_end"))
    if trade == "-":
        trade = _date_span(alert.get("transaction_dates"))
    return trade, _date_span(alert.get("filing_dates"))


def _columns(alert: Mapping[str, Any]) -> tuple[str, str, str, str, str, str, str, str]:
    created = str(alert.get("created_at") or "")[:19].replace("T", " ")
    retracted = alert.get("kind") == "alert_retracted"
    summary = str(alert.get("summary") or "")
    if retracted and summary.startswith("RETRACTED: "):
        summary = summary[len("RETRACTED: ") :]  # the kind column already says so
    who = alert.get("ticker") or f"CIK {alert.get('issuer_cik')}"
    kind = "RETRACTED" if retracted else "ALERT"
    trade, filed = alert_dates(alert)
    severity = str(alert.get("severity", "?")).upper()
    return created, kind, severity, str(alert.get("rule", "?")), str(who), trade, filed, summary


def format_alert(alert: Mapping[str, Any]) -> str:
    """One readable line: time, kind, severity, rule, ticker (or issuer CIK), trade date(s),
    filing date(s), summary; columns aligned."""
    created, kind, severity, rule, who, trade, filed, summary = _columns(alert)
    return (
        f"{created}  {kind:<9} {severity:<8} {rule:<19} {who:<10} "
        f"trade {trade:<22} filed {filed:<22} {summary}"
    )


def render_alert(alert: Mapping[str, Any]) -> Any:
    """The same line as :func:`format_alert` as a rich ``Text``, coloured by severity."""
    from rich.text import Text  # only on a terminal: pipes get plain lines without importing rich

    created, kind, severity, rule, who, trade, filed, summary = _columns(alert)
    style = SEVERITY_STYLES.get(str(alert.get("severity")), "")
    retracted = kind == "RETRACTED"
    line = Text(f"{created}  ", style="dim")
    line.append(f"{kind:<9} ", style="strike" if retracted else "bold")
    line.append(f"{severity:<8}", style=style)
    line.append(f" {rule:<19} ")
    line.append(f"{who:<10} ", style="bold cyan")
    line.append(f"trade {trade:<22} filed {filed:<22} ", style="dim")
    line.append(summary, style="strike" if retracted else "")
    return line


def owner_matches(alert: Mapping[str, Any], owners: tuple[str, ...]) -> bool:
    """``--owner``: any of the alert's owners has one of these CIKs (zero-padded or not) or a name
    containing one of them (case-insensitive)."""
    if not owners:
        return True
    ciks = {normalise_cik(o) for o in owners if o.strip().isdigit()}
    names = [o.strip().lower() for o in owners if not o.strip().isdigit()]
    for owner in alert.get("owners") or []:
        if owner.get("cik") and normalise_cik(str(owner["cik"])) in ciks:
            return True
        name = str(owner.get("name") or "").lower()
        if any(n in name for n in names):
            return True
    return False


def created_since(alert: Mapping[str, Any], since: date | None) -> bool:
    """``--since``: the alert was raised on or after ``since`` (UTC)."""
    if since is None:
        return True
    try:
        created = datetime.fromisoformat(str(alert.get("created_at")))
    except ValueError:
        return False
    return (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC).date() >= since


async def _assign(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - first metadata fetch is lazy
        partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise TailError(
            f"topic {topic!r} does not exist (is FORM4_TOPIC_ALERTS right? `form4 topics create`)", USAGE
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
    owners: tuple[str, ...] = (),
    since: date | None = None,
) -> int:
    """Emit each new alert that passes ``flt`` (and ``owners``, ``since``) once; returns how many.

    With ``since`` the tail starts at the first alert of that day (by Kafka timestamp), else at the
    beginning or the end. Stops after ``max_messages`` alerts or ``timeout`` seconds, whichever
    comes first (never, when both are ``None``).
    """
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await asyncio.wait_for(start_checked(consumer, settings), timeout=30)
    except KafkaAccessError:
        await consumer.stop()
        raise
    except (KafkaError, OSError, TimeoutError) as exc:
        await consumer.stop()
        raise TailError(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc!r}") from exc
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    shown: OrderedDict[str, str] = OrderedDict()  # alert id -> the kind of its last record shown
    emitted = 0
    try:
        tps = await _assign(consumer, settings.topic_alerts)
        if since is not None:
            start_ms = int(datetime.combine(since, datetime.min.time(), UTC).timestamp() * 1000)
            found = await consumer.offsets_for_times(dict.fromkeys(tps, start_ms))
            for tp in tps:
                # No alert since then in this partition: start at its end.
                offset = found.get(tp)
                if offset is None:
                    await consumer.seek_to_end(tp)
                else:
                    consumer.seek(tp, offset.offset)
        elif from_beginning:
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
                # At-least-once delivery may repeat a record: an alert's records alternate raise,
                # retraction, raise (an alert can stand again), so a repeat is a record of the kind last
                # shown for its alert.
                subject = str(alert.get("retracts") or alert_id)
                kind = str(alert.get("kind"))
                if (
                    shown.get(subject) == kind
                    or not flt.matches(alert)
                    or not owner_matches(alert, owners)
                    or not created_since(alert, since)
                ):
                    continue
                shown[subject] = kind
                shown.move_to_end(subject)
                if len(shown) > _DEDUPE_WINDOW:
                    shown.popitem(last=False)
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
@click.option(
    "--owner", multiple=True, help="Only alerts naming this owner: CIK or part of the name (repeatable)."
)
@click.option("--rule", multiple=True, type=click.Choice(_RULES), help="Only this rule (repeatable).")
@click.option("--min-severity", type=click.Choice(SEVERITIES), default=None, help="Lowest severity shown.")
@click.option(
    "--min-value", type=AMOUNT, default=None, help="Lowest alert value in USD: 1000000, 1,000,000, 1M, 250k."
)
@click.option(
    "--since", type=DATE, default=None, help="Start at the alerts raised on DATE (YYYY-MM-DD), then follow."
)
@click.option("--from-beginning", is_flag=True, help="Start at the oldest alert (default: only new ones).")
@click.option("--json", "as_json", is_flag=True, help="One form4.alert/1 JSON object a line.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None, help="Stop after N alerts.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Stop after SECONDS.")
@bootstrap_server_option
def tail(
    ticker: tuple[str, ...],
    issuer: tuple[str, ...],
    owner: tuple[str, ...],
    rule: tuple[str, ...],
    min_severity: str | None,
    min_value: Decimal | None,
    since: date | None,
    from_beginning: bool,
    as_json: bool,
    max_messages: int | None,
    timeout: float | None,
) -> None:
    """Print alerts as they arrive, until Ctrl-C (or --max-messages / --timeout).

    On a terminal the columns are coloured by severity; piped, they are plain text.
    """
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
    settings = cli_settings()
    console = None
    if not as_json and sys.stdout.isatty():
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)

    def emit(alert: dict[str, Any], raw: bytes) -> None:
        # --json prints the record as it is on the topic: the form4.alert/1 contract, untouched.
        if as_json:
            click.echo(orjson.dumps(alert).decode())
        elif console is not None:
            console.print(render_alert(alert))
        else:
            click.echo(format_alert(alert))
        sys.stdout.flush()

    if not as_json:
        where = f"{since.isoformat()}" if since else "the beginning" if from_beginning else "now"
        extra = f" owner={','.join(owner)}" if owner else ""
        click.echo(f"# {settings.topic_alerts} from {where}: {flt.describe()}{extra}", err=True)
    try:
        asyncio.run(
            tail_alerts(
                settings,
                flt,
                emit,
                from_beginning=from_beginning,
                max_messages=max_messages,
                timeout=timeout,
                owners=owner,
                since=since,
            )
        )
    except TailError as exc:
        click.echo(f"form4 alerts: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KafkaAccessError as exc:  # refused, not unreachable: one line, the common exit status
        click.echo(f"form4 alerts: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        pass
