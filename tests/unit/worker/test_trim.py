"""Memory freed by a batch goes back to the system: glibc's malloc_trim, off the event loop."""

from __future__ import annotations

import sys
import threading

import faust
import pytest

from streams.worker import trim
from streams.worker.trim import Trimmer, malloc_trim
from tests.unit.worker.fakes import unit_settings


async def test_a_trim_runs_off_the_event_loop_thread_and_is_counted() -> None:
    threads: list[int] = []

    def fake_trim() -> int:
        threads.append(threading.get_ident())
        return 1

    ticks = iter([10.0, 10.25, 20.0, 20.5])
    trimmer = Trimmer(fake_trim, clock=lambda: next(ticks))
    await trimmer.run()
    await trimmer.run()
    assert trimmer.trims == 2
    assert threads and all(t != threading.get_ident() for t in threads)
    assert trimmer.seconds == 0.75, "each trim's time, from the trimmer's clock, summed"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux's")
def test_glibc_malloc_trim_is_found_and_callable_on_linux() -> None:
    call = malloc_trim()
    assert call is not None
    assert call() in (0, 1)  # 1: memory was released, 0: there was none to release


def test_zero_seconds_turns_the_trim_off_and_a_period_registers_a_timer() -> None:
    off = faust.App("trim-off", env={}, autodiscover=False)
    assert trim.register(off, unit_settings(memory_trim_seconds=0)) is None
    on = faust.App("trim-on", env={}, autodiscover=False)
    timers_before = len(on._app_tasks)
    trimmer = trim.register(on, unit_settings(memory_trim_seconds=5))
    assert isinstance(trimmer, Trimmer)
    assert len(on._app_tasks) == timers_before + 1
