"""Shared fixtures. The Kafka broker fixture lives in tests/support/kafka.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.corpus import require_corpus

pytest_plugins = ["tests.support.kafka"]


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real EDGAR corpus folder; skips the test when it is absent."""
    return require_corpus()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Everything under tests/integration/ talks to the real broker.
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
