"""The stall watchdog: a worker that has records to read but handles none exits for a restart.

Faust can stop consuming while it believes all is well (faust #523 and #175: after a rebalance or a
lost coordinator the worker stays "ready", assigned, and fetches nothing). Kafka's committed offsets
show it: this worker's partitions have lag, and its agents have handled nothing for
``FORM4_STALL_SECONDS``. Then it logs why and exits with :data:`EXIT_STALLED` (75, EX_TEMPFAIL)
unacknowledged; its supervisor (systemd, Docker's restart policy, Kubernetes) starts it again and the
new consumer resumes from the committed offsets, so nothing is lost. The clock restarts whenever the
assignment changes and while Faust recovers tables, which are not stalls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import faust

from streams.adapters.lag import GroupLag, group_lag
from streams.config.settings import Settings

log = logging.getLogger(__name__)

EXIT_STALLED = 75
"""EX_TEMPFAIL: try again; a supervisor restarts the worker."""

Partition = tuple[str, int]


@dataclass
class Progress:
    """How many records the agents handled, and when that last changed."""

    clock: Callable[[], float] = time.monotonic
    handled: int = 0
    changed_at: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.changed_at = self.clock()

    def bump(self, records: int) -> None:
        if records:
            self.handled += records
            self.changed_at = self.clock()

    def restart_clock(self) -> None:
        self.changed_at = self.clock()


def _exit(code: int) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(code)


@dataclass
class StopDeadline:
    """Ends a worker whose stop does not finish: with the broker gone, Faust's consumer thread dies in
    its LeaveGroup request and the shutdown waits for it forever (seen stopping a worker after
    ``form4 broker stop``). Armed by the stop signal; a daemon timer, so a stop that finishes wins."""

    seconds: float
    exit: Callable[[int], None] = _exit
    _timer: threading.Timer | None = None

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        log.error(
            "stop: not done after %.0f s (FORM4_STOP_TIMEOUT_SECONDS; is Kafka reachable?): exiting now; "
            "what was not committed is read again at the next start",
            self.seconds,
        )
        self.exit(EXIT_STALLED)


@dataclass
class StallWatchdog:
    """Checks, when asked, whether this worker is stalled; exits if it is."""

    settings: Settings
    progress: Progress
    read_lag: Callable[[Settings], Awaitable[GroupLag]] = group_lag
    exit: Callable[[int], None] = _exit
    describe: Callable[[], str] = lambda: ""
    """What the worker's consumer and agents were doing, logged with a stall (a diagnosis for later)."""
    _assigned: frozenset[Partition] = frozenset()

    async def check(self, assigned: frozenset[Partition], recovering: bool) -> bool:
        """One look: ``assigned`` are this worker's partitions now. True when it found a stall."""
        if recovering or assigned != self._assigned:
            self._assigned = assigned
            self.progress.restart_clock()
            return False
        idle = self.progress.clock() - self.progress.changed_at
        if not assigned or idle < self.settings.stall_seconds:
            return False
        try:
            lag = await self.read_lag(self.settings)
        except Exception as exc:  # noqa: BLE001 - Kafka away is not a stall of ours: the probe reports it
            log.warning("stall check: could not read the group's lag: %s", exc)
            return False
        behind = {
            (p.topic, p.partition): p.lag
            for p in lag.partitions
            if (p.topic, p.partition) in assigned and p.lag
        }
        if not behind:
            self.progress.restart_clock()  # nothing to read: idle, not stalled
            return False
        log.critical(
            "stalled: %d record(s) to read on %s, none handled for %.0fs; exiting (code %d) for a restart",
            sum(behind.values()),
            ", ".join(f"{t}[{p}]" for t, p in sorted(behind)),
            idle,
            EXIT_STALLED,
            extra={"lag": sum(behind.values()), "idle_seconds": round(idle)},
        )
        try:
            log.critical("stalled worker's state:\n%s", self.describe())
        except Exception:  # noqa: BLE001 - a diagnosis that fails must not keep a stalled worker up
            log.exception("stalled worker's state could not be described")
        self.exit(EXIT_STALLED)
        return True


def _tps(tps: Any) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(tps or ())) or "-"


def _awaiting(coro: Any) -> str:
    """Where a suspended coroutine waits: its await chain, outermost first (a Task's own
    ``get_stack`` shows the outermost frame only). Ends with what the innermost awaits (a Future's
    iterator)."""
    out: list[str] = []
    while coro is not None and len(out) < 40:
        frame = next(
            (getattr(coro, a) for a in ("cr_frame", "ag_frame", "gi_frame") if getattr(coro, a, None)), None
        )
        if frame is None:
            out.append(f"    waits on {coro!r:.200}")
            break
        out.append(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        coro = next(
            (getattr(coro, a) for a in ("cr_await", "ag_await", "gi_yieldfrom") if getattr(coro, a, None)),
            None,
        )
    return "\n".join(out)


def describe(app: faust.App) -> str:
    """The consumer's partition sets (Faust's and aiokafka's) and each agent's stack.

    Private attributes of faust-streaming 0.15.3 and aiokafka 0.14 (pinned), read only: what tells a
    partition Faust stopped fetching (not active: paused, or buffered and never given back) from an
    agent waiting on something that never comes.
    """
    consumer: Any = app.consumer
    lines = [
        f"assigned: {_tps(consumer.assignment())}",
        f"faust active: {_tps(getattr(consumer, '_active_partitions', None))}",
        f"faust paused: {_tps(getattr(consumer, '_paused_partitions', None))}",
        f"faust buffered (stream buffer full): {_tps(getattr(consumer, '_buffered_partitions', None))}",
        f"flow control active: {app.flow_control.is_active()}; in recovery: {app.in_recovery}; "
        f"rebalancing: {app.rebalancing}",
    ]
    kafka = getattr(getattr(consumer, "_thread", None), "_consumer", None)
    if kafka is not None:
        lines.append(f"aiokafka paused: {_tps(kafka.paused())}")
        for tp in sorted(kafka.assignment()):
            state = kafka._subscription.subscription.assignment.state_value(tp)  # noqa: SLF001
            lines.append(
                f"  {tp.topic}[{tp.partition}] highwater={kafka.highwater(tp)} "
                f"position={getattr(state, '_position', None)} paused={getattr(state, 'paused', None)}"
            )
    for agent in app.agents.values():
        for actor in getattr(agent, "_actors", ()):
            task = getattr(actor, "actor_task", None)
            if isinstance(task, asyncio.Task) and not task.done():
                lines.append(f"agent {agent.name} awaits:\n{_awaiting(task.get_coro())}")
    return "\n".join(lines)


def register(app: faust.App, settings: Settings, progress: Progress) -> StallWatchdog:
    """Check every ``FORM4_STALL_SECONDS / 4`` on ``app``'s own partitions."""
    watchdog = StallWatchdog(settings, progress, describe=lambda: describe(app))

    @app.timer(interval=max(settings.stall_seconds / 4, 1.0), on_leader=False)
    async def stall_watchdog() -> None:
        consumer = app.consumer
        assigned = frozenset(
            (tp.topic, tp.partition) for tp in consumer.assignment() if tp.topic in settings.source_topics
        )
        await watchdog.check(assigned, recovering=bool(app.in_recovery or app.rebalancing))

    return watchdog


__all__ = ["EXIT_STALLED", "Progress", "StallWatchdog", "StopDeadline", "register"]
