"""``form4 replay PATH... [--positions] [--alerts] [--events] [--as-of DATE]``: the whole pipeline
without Kafka, as JSON lines.

The worker's parser, ledger, rules and ids (a file's name gives the accession number as ``form4
push`` keys it), applied here in memory. This is how an analyst backtests thresholds on history:
set ``FORM4_*`` thresholds and replay a folder.

Printed on stdout, each record with its ``schema``, in this order and each part sorted by id:

* ``--events``: ``form4.transaction/1``, every filing once (of one filing in several formats, the
  copy the ledger keeps: the one with the accession number and CIKs), by ``event_id``;
* ``--positions``: ``form4.position/1`` as ``GET /positions/`` serves them, flows ending on
  ``--as-of``, by position key;
* ``--alerts``: the ``form4.alert/1`` alerts standing once everything is applied (raised and not
  retracted), by ``alert_id``; ``created_at`` is ``--as-of`` at midnight UTC, so output is repeatable.

No flag prints all three. The order of the inputs never changes the output. A file that cannot be
parsed is a ``form4.dead_letter/1`` line on stderr (``source_topic`` ``"replay"``, ``source_key``
its path, partition and offset -1, the original bytes except for ``too_large``); the exit status is
then 1.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import click
import orjson

from streams.adapters.producer import iter_files
from streams.cli.exit_codes import PARTLY_FAILED
from streams.config.settings import get_settings
from streams.domain.offline import Replay, canonical_key, replay
from streams.domain.records import DeadLetter
from streams.domain.views import parse_as_of, public_position, today
from streams.domain.wire import right_sized

__all__ = ["dead_letters", "replay_command", "replay_lines"]

REPLAY_TOPIC = "replay"
"""``source_topic`` of the dead letters replay reports: they come from files, not from a topic."""


def replay_lines(done: Replay, as_of: date, *, events: bool, positions: bool, alerts: bool) -> list[bytes]:
    """The stdout lines of a replay, sorted within each part."""
    lines: list[bytes] = []
    if events:
        lines.extend(ev.to_json() for ev in done.events())
    if positions:
        stored = done.stores.positions
        # Right-sized: every line is kept until all are written, and orjson hands out 4 KiB buffers.
        lines.extend(
            right_sized(orjson.dumps(public_position(key, stored[key], as_of))) for key in sorted(stored)
        )
    if alerts:
        lines.extend(alert.to_json() for alert in done.standing_alerts)
    return lines


def dead_letters(done: Replay, failed_at: datetime) -> list[DeadLetter]:
    """A ``form4.dead_letter/1`` record per input file that did not parse, by name."""
    out = []
    for name in sorted(done.errors):
        exc, raw = done.errors[name], Path(name).read_bytes()
        out.append(
            DeadLetter(
                reason=exc.reason,
                error=exc.message,
                where=exc.where,
                source_topic=REPLAY_TOPIC,
                source_partition=-1,
                source_offset=-1,
                source_key=name,
                # An oversized input would flood stderr; its size and path say enough.
                original_b64="" if exc.reason == "too_large" else DeadLetter.encode_original(raw),
                original_size=len(raw),
                failed_at=failed_at,
            )
        )
    return out


@click.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--positions", "want_positions", is_flag=True, help="Print the positions (form4.position/1).")
@click.option("--alerts", "want_alerts", is_flag=True, help="Print the standing alerts (form4.alert/1).")
@click.option("--events", "want_events", is_flag=True, help="Print the events (form4.transaction/1).")
@click.option(
    "--as-of",
    "as_of_text",
    default=None,
    help="Reference day of the rolling flows and the alerts' created_at (YYYY-MM-DD, default today).",
)
def replay_command(
    paths: tuple[Path, ...],
    want_positions: bool,
    want_alerts: bool,
    want_events: bool,
    as_of_text: str | None,
) -> None:
    """Replay filings (files or folders, recursively) through the pipeline without Kafka; JSON lines out.

    With none of --positions/--alerts/--events, all three are printed. Parse failures go to stderr as
    form4.dead_letter/1 lines and make the exit status 1.
    """
    try:
        as_of = parse_as_of(as_of_text) or today()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    everything = not (want_positions or want_alerts or want_events)
    settings = get_settings()
    # Two passes over the files (order, then apply) so that memory holds the ledger, not the inputs.
    order = sorted(canonical_key(str(p), p.read_bytes()) for p in iter_files(paths))
    raws = ((name, Path(name).read_bytes()) for _, name in order)
    done = replay(raws, settings, now=datetime.combine(as_of, time.min, UTC))
    out = sys.stdout.buffer
    for line in replay_lines(
        done,
        as_of,
        events=everything or want_events,
        positions=everything or want_positions,
        alerts=everything or want_alerts,
    ):
        out.write(line + b"\n")
    out.flush()
    letters = dead_letters(done, datetime.now(UTC))
    for letter in letters:
        click.echo(letter.to_json().decode(), err=True)
    if letters:
        sys.exit(PARTLY_FAILED)
