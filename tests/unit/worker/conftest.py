"""Fixtures of the worker's unit tests."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry


@pytest.fixture()
def registry() -> CollectorRegistry:
    """A Prometheus registry of the test's own: its metrics count from zero."""
    return CollectorRegistry()
