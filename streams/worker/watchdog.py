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

import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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
class StallWatchdog:
    """Checks, when asked, whether this worker is stalled; exits if it is."""

    settings: Settings
    progress: Progress
    read_lag: Callable[[Settings], Awaitable[GroupLag]] = group_lag
    exit: Callable[[int], None] = _exit
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
        self.exit(EXIT_STALLED)
        return True


def register(app: faust.App, settings: Settings, progress: Progress) -> StallWatchdog:
    """Check every ``FORM4_STALL_SECONDS / 4`` on ``app``'s own partitions."""
    watchdog = StallWatchdog(settings, progress)

    @app.timer(interval=max(settings.stall_seconds / 4, 1.0), on_leader=False)
    async def stall_watchdog() -> None:
        consumer = app.consumer
        assigned = frozenset(
            (tp.topic, tp.partition) for tp in consumer.assignment() if tp.topic in settings.source_topics
        )
        await watchdog.check(assigned, recovering=bool(app.in_recovery or app.rebalancing))

    return watchdog


__all__ = ["EXIT_STALLED", "Progress", "StallWatchdog", "register"]
