"""Retries without waiting, except where a test records the waits on purpose."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina
from stamina.instrumentation import RetryDetails, set_on_retry_hooks


@pytest.fixture(autouse=True)
def _retries_without_waits() -> Iterator[None]:
    """stamina's test mode: every backoff is 0 s; ``cap`` keeps each call's configured attempt count."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def retry_waits() -> Iterator[list[float]]:
    """The backoff stamina schedules before each retry, in order, recorded by an instrumentation hook.

    Test mode is off here, so the waits are computed as in production (and really slept: keep the
    configured delays short).
    """
    waits: list[float] = []

    def record(details: RetryDetails) -> None:
        waits.append(details.wait_for)

    set_on_retry_hooks([record])
    try:
        with stamina.set_testing(False):
            yield waits
    finally:
        set_on_retry_hooks(None)  # back to stamina's defaults
