"""Give the memory a batch freed back to the system (issue 12, goal 2: memory per position).

glibc's allocator keeps the memory freed by CPython's large objects (fetched records, encoded values,
the parse agent's documents: anything over 512 bytes is ``malloc``'d) for reuse, and a worker's RSS
then stays at its largest batch's high-water mark, not at what its tables hold. ``malloc_trim(0)``
hands the free pages back. It runs every ``FORM4_MEMORY_TRIM_SECONDS`` in a thread of the default
executor (ctypes releases the GIL, so the event loop goes on). Off where the C library has no
``malloc_trim`` (musl, macOS), and with ``FORM4_MEMORY_TRIM_SECONDS=0``.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import faust

from streams.config.settings import Settings

log = logging.getLogger(__name__)


def malloc_trim() -> Callable[[], int] | None:
    """glibc's ``malloc_trim(0)``, or None where the C library has none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int

    def call() -> int:
        return int(trim(0))

    return call


@dataclass
class Trimmer:
    """Counts the trims and the seconds they took (logged at debug)."""

    trim: Callable[[], int]
    clock: Callable[[], float] = time.perf_counter
    trims: int = 0
    seconds: float = 0.0

    async def run(self) -> None:
        started = self.clock()
        released = await asyncio.get_running_loop().run_in_executor(None, self.trim)
        took = self.clock() - started
        self.trims += 1
        self.seconds += took
        log.debug(
            "malloc_trim: %s in %.1f ms", "released memory" if released else "nothing to release", took * 1e3
        )


def register(app: faust.App, settings: Settings) -> Trimmer | None:
    """Trim every ``FORM4_MEMORY_TRIM_SECONDS`` on ``app``; None when off or not available."""
    trim = malloc_trim() if settings.memory_trim_seconds > 0 else None
    if trim is None:
        return None
    trimmer = Trimmer(trim)

    @app.timer(interval=settings.memory_trim_seconds, on_leader=False)
    async def trim_memory() -> None:
        await trimmer.run()

    return trimmer


__all__ = ["Trimmer", "malloc_trim", "register"]
