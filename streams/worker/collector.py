"""The garbage collector's pauses, measured, and kept short by freezing long-lived state.

Issue 12, goal 3: with the default ``memory://`` store the tables hold millions of Python objects (a
position is a tree of models, ``Decimal`` s and strings), and CPython's full collection walks every one
of them: offline, the state of 10,000 filings is 527k tracked objects and a full collection takes
561 ms; during a 50,000-filing backfill the lanes bench saw live alerts wait about 2 s at p99, a tail
that only a store holding bytes (``compact://``) had removed. With the freeze below, the same bench on
the default store: 70 full collections, none over 250 ms, live alert p99 677 ms (BENCHMARKS.md).

What this does:

* ``form4_gc_pause_seconds{generation}``: every collection's duration (``gc.callbacks``), so a
  pause shows on the dashboard, not only in a latency tail.
* With ``FORM4_GC_FREEZE`` (default on), after each full collection the objects that survived it are
  frozen (``gc.freeze``): later collections no longer walk them. State that stays is walked once,
  not at every later full collection, so a full collection scans what was created since the last
  one. Frozen objects are still freed by reference counting when their last reference goes (table
  values are replaced, not kept); only a reference *cycle* among frozen objects is never collected,
  and the worker's state holds none. CPython's documentation describes ``gc.freeze`` for forked
  servers; the use here is the same idea in one long-lived process.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import faust
from prometheus_client import CollectorRegistry, Histogram

from streams.config.settings import Settings

PAUSE_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


@dataclass
class Collections:
    """A ``gc.callbacks`` entry: times each collection, and freezes after full ones when asked."""

    pauses: Histogram
    freeze: bool
    clock: Callable[[], float] = time.perf_counter
    freezer: Callable[[], None] = gc.freeze
    started: float | None = field(default=None, init=False)
    frozen: int = field(default=0, init=False)
    """Times the survivors of a full collection were frozen."""

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = self.clock()
            return
        if self.started is None:  # registered in the middle of a collection
            return
        generation = int(info.get("generation", 0))
        self.pauses.labels(str(generation)).observe(self.clock() - self.started)
        self.started = None
        if self.freeze and generation == 2:
            self.freezer()
            self.frozen += 1


@cache
def _pauses(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "form4_gc_pause_seconds",
        "Garbage collector pauses (the event loop waits), by generation (2: full)",
        ["generation"],
        buckets=PAUSE_BUCKETS,
        registry=registry,
    )


def install(settings: Settings, registry: CollectorRegistry) -> Collections:
    """Time every collection into ``registry``; freeze after full ones with ``FORM4_GC_FREEZE``.
    One per process: a second install replaces the first."""
    collections = Collections(_pauses(registry), settings.gc_freeze)
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, Collections)]
    gc.callbacks.append(collections)
    return collections


def register(app: faust.App, settings: Settings, registry: CollectorRegistry) -> None:
    """Install when ``app``'s worker starts (building an app, as tests do, changes nothing)."""

    @app.task
    async def watch_the_collector() -> None:
        install(settings, registry)


__all__ = ["Collections", "install", "register"]
