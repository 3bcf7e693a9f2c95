"""``form4 dlq list|replay``: the dead letters (``form4.dead_letter/1`` on ``form4.dlq``).

``replay`` decodes each dead letter's original bytes and pushes them again to the raw topic with
their original key, so a filing refused before a fix (a parser change, a larger
``FORM4_MAX_FILING_BYTES``) flows through now. It is idempotent: a dead letter whose bytes the
current parser still refuses is not pushed (no new dead letter; ``--force`` pushes anyway), the same
bytes dead-lettered several times are pushed once, and the worker drops a filing it already applied
(it dedupes by filing id), so replaying twice changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
import orjson
from aiokafka.errors import KafkaConnectionError
from pydantic import ValidationError

from parsers import ParseError
from streams.adapters.acks import send_acked
from streams.adapters.kafka_security import start_checked
from streams.adapters.producer import make_producer
from streams.adapters.topic_reader import UnknownTopic, iter_topic
from streams.cli.exit_codes import ConfigError, PartlyFailed
from streams.cli.options import DATE, bootstrap_server_option, cli_settings
from streams.config.settings import Settings
from streams.domain.parsed import parsed_filing
from streams.domain.records import DeadLetter

# aiokafka logs each failed connection attempt; our one-line error is enough.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Letter:
    """A dead letter and where it sits on the dead-letter topic."""

    record: DeadLetter
    partition: int
    offset: int

    def summary(self) -> dict[str, Any]:
        """The ``--json`` line of ``dlq list``: every field but the original bytes, plus its place."""
        body: dict[str, Any] = self.record.model_dump(mode="json", by_alias=True, exclude={"original_b64"})
        return body | {"dlq_partition": self.partition, "dlq_offset": self.offset}


def selected(letter: DeadLetter, reasons: frozenset[str], since: date | None) -> bool:
    """Whether ``--reason`` (any of) and ``--since`` (on the failure date) let ``letter`` through."""
    if reasons and letter.reason not in reasons:
        return False
    return since is None or letter.failed_at.date() >= since


async def read_letters(
    settings: Settings, reasons: frozenset[str], since: date | None, on_bad: Callable[[str], None]
) -> list[Letter]:
    """The selected dead letters, in topic order; records that are no dead letter are reported."""
    out: list[Letter] = []
    try:
        async for record in iter_topic(settings, settings.topic_dlq):
            try:
                letter = DeadLetter.model_validate_json(record.value)
            except ValidationError:
                on_bad(
                    f"{record.topic}[{record.partition}]@{record.offset} is not a form4.dead_letter/1 record"
                )
                continue
            if selected(letter, reasons, since):
                out.append(Letter(letter, record.partition, record.offset))
    except UnknownTopic as exc:
        raise ConfigError(f"{exc} (FORM4_TOPIC_DLQ? `form4 topics create`)") from exc
    return out


@dataclass
class ReplayPlan:
    """What ``dlq replay`` pushes (key, bytes) and what it leaves, with the reason for each."""

    push: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    still_failing: list[tuple[Letter, str]] = field(default_factory=list)
    repeats: int = 0
    other_source: list[Letter] = field(default_factory=list)


def plan_replay(letters: list[Letter], settings: Settings, *, force: bool) -> ReplayPlan:
    """Decide per dead letter: push it (once per distinct bytes), or say why not."""
    plan = ReplayPlan()
    pushed: set[str] = set()
    for letter in letters:
        record = letter.record
        if record.source_topic != settings.topic_raw:
            # Not a raw filing (e.g. an undecodable internal record): pushing it as one cannot help.
            plan.other_source.append(letter)
            continue
        raw = record.original()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in pushed:
            plan.repeats += 1
            continue
        if not force:
            try:
                parsed_filing(raw, settings)
            except ParseError as exc:
                plan.still_failing.append((letter, exc.reason))
                continue
        pushed.add(digest)
        plan.push.append((record.source_key.encode() if record.source_key is not None else None, raw))
    return plan


async def push_raw(settings: Settings, items: list[tuple[bytes | None, bytes]]) -> int:
    """Send ``items`` to the raw topic, every acknowledgement awaited; returns how many were sent."""
    if not items:
        return 0
    producer = make_producer(settings)
    try:
        await start_checked(producer, settings)
    except KafkaConnectionError as exc:
        await producer.stop()
        raise KafkaConnectionError(f"no broker answered at {settings.kafka_bootstrap}") from exc
    try:
        metas = await send_acked(producer.send(settings.topic_raw, value, key=key) for key, value in items)
        return len(metas)
    finally:
        await producer.stop()


def _warn(message: str) -> None:
    click.echo(f"form4 dlq: {message}", err=True)


@click.group()
def dlq() -> None:
    """List and replay dead letters."""


_reason_option = click.option(
    "--reason", "reasons", multiple=True, help="Only this reason code (repeatable), e.g. malformed_xml."
)
_since_option = click.option(
    "--since", type=DATE, default=None, help="Only those that failed on or after DATE."
)


@dlq.command(name="list")
@_reason_option
@_since_option
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object a line (the record without its bytes)."
)
@bootstrap_server_option
def list_(reasons: tuple[str, ...], since: date | None, as_json: bool) -> None:
    """Print the dead letters: when, why, where in the filing, source place and size."""
    settings = cli_settings()
    letters = asyncio.run(read_letters(settings, frozenset(reasons), since, _warn))
    if as_json:
        for letter in letters:
            click.echo(orjson.dumps(letter.summary()).decode())
        return
    if not letters:
        click.echo(f"no dead letters on {settings.topic_dlq}" + (" matching" if reasons or since else ""))
        return
    click.echo(f"{'failed at':<20} {'reason':<22} {'source':<34} {'size':>9}  {'key':<22} where")
    for letter in letters:
        r = letter.record
        source = f"{r.source_topic}[{r.source_partition}]@{r.source_offset}"
        click.echo(
            f"{r.failed_at.isoformat()[:19].replace('T', ' '):<20} {r.reason:<22} {source:<34} "
            f"{r.original_size:>9}  {(r.source_key or '-'):<22} {r.where or '-'}"
        )
    counts: dict[str, int] = {}
    for letter in letters:
        counts[letter.record.reason] = counts.get(letter.record.reason, 0) + 1
    click.echo(
        f"# {len(letters)} dead letter(s): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )


@dlq.command()
@_reason_option
@_since_option
@click.option("--force", is_flag=True, help="Also push those the current parser still refuses.")
@click.option("--dry-run", is_flag=True, help="Say what would be pushed; push nothing.")
@bootstrap_server_option
def replay(reasons: tuple[str, ...], since: date | None, force: bool, dry_run: bool) -> None:
    """Push the dead letters' original bytes to the raw topic again, keyed as the originals.

    Exit 0 when every selected dead letter was pushed or already parses, 1 when some still fail.
    """
    settings = cli_settings()
    letters = asyncio.run(read_letters(settings, frozenset(reasons), since, _warn))
    plan = plan_replay(letters, settings, force=force)
    for letter, reason in plan.still_failing:
        r = letter.record
        _warn(f"still fails ({reason}), not pushed: {r.source_topic}[{r.source_partition}]@{r.source_offset}")
    for letter in plan.other_source:
        r = letter.record
        _warn(f"not from {settings.topic_raw}, not pushed: {r.source_topic} ({r.reason})")
    sent = 0 if dry_run else asyncio.run(push_raw(settings, plan.push))
    done = f"would push {len(plan.push)}" if dry_run else f"pushed {sent}"
    click.echo(
        f"{done} of {len(letters)} dead letter(s) to {settings.topic_raw}"
        f" ({plan.repeats} repeat(s) of the same bytes, {len(plan.still_failing)} still failing,"
        f" {len(plan.other_source)} from other topics)"
    )
    if plan.still_failing or plan.other_source:
        raise PartlyFailed(f"{len(plan.still_failing) + len(plan.other_source)} dead letter(s) not replayed")
