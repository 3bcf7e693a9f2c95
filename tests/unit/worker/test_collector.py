"""GC pauses are measured, and the survivors of a full collection are frozen (FORM4_GC_FREEZE)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from streams.worker.collector import Collections, _pauses, install
from tests.unit.worker.fakes import unit_settings


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = list(gc.callbacks)
    yield
    gc.callbacks[:] = before
    gc.unfreeze()


def sample(registry: CollectorRegistry, suffix: str, generation: str) -> float:
    value = registry.get_sample_value(f"form4_gc_pause_seconds{suffix}", {"generation": generation})
    return value or 0.0


def test_each_collection_is_timed_by_generation_and_only_full_ones_freeze() -> None:
    registry = CollectorRegistry()
    froze: list[int] = []
    now = iter([10.0, 10.5, 20.0, 20.002])

    calls = Collections(
        _pauses(registry), freeze=True, clock=lambda: next(now), freezer=lambda: froze.append(1)
    )
    calls("start", {"generation": 2})
    calls("stop", {"generation": 2, "collected": 0, "uncollectable": 0})
    calls("start", {"generation": 0})
    calls("stop", {"generation": 0, "collected": 0, "uncollectable": 0})
    assert sample(registry, "_sum", "2") == pytest.approx(0.5)
    assert sample(registry, "_count", "0") == 1 and sample(registry, "_sum", "0") == pytest.approx(0.002)
    assert froze == [1] and calls.frozen == 1, "frozen after the full collection only"
    calls("stop", {"generation": 1})  # a stop without its start (installed mid-collection): ignored
    assert sample(registry, "_count", "1") == 0


def test_without_freeze_nothing_is_frozen() -> None:
    registry = CollectorRegistry()
    froze: list[int] = []

    calls = Collections(_pauses(registry), freeze=False, freezer=lambda: froze.append(1))
    calls("start", {"generation": 2})
    calls("stop", {"generation": 2})
    assert froze == [] and sample(registry, "_count", "2") == 1


@pytest.mark.usefixtures("restore_gc")
def test_installed_it_times_real_collections_and_freezes_the_survivors_of_a_full_one() -> None:
    registry = CollectorRegistry()
    install(unit_settings(gc_freeze=True), registry)
    again = install(unit_settings(gc_freeze=True), registry)
    assert [c for c in gc.callbacks if isinstance(c, Collections)] == [again], "one per process"
    gc.unfreeze()
    survivor = [object() for _ in range(10)]
    gc.collect()
    assert sample(registry, "_count", "2") >= 1
    assert gc.get_freeze_count() > 0, "what survived the full collection is frozen"
    assert again.frozen >= 1 and survivor
