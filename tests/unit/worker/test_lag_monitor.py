"""The lag gauge: refreshed from the group's lag on the worker's source topics."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from streams.adapters.lag import GroupLag, PartitionLag
from streams.config.settings import Settings
from streams.worker.agents import lag_monitor
from streams.worker.metrics import metrics_in
from tests.unit.worker.fakes import unit_settings


async def test_refresh_sets_the_gauge_per_partition_of_the_source_topics(
    registry: CollectorRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = unit_settings()
    asked: list[list[str] | None] = []

    async def fake_group_lag(s: Settings, topics: list[str] | None = None) -> GroupLag:
        assert s is settings
        asked.append(topics)
        return GroupLag(
            s.app_id,
            [PartitionLag(s.topic_raw, 0, 5, 9, 4), PartitionLag(s.topic_alerts, 1, None, 2, 2)],
        )

    monkeypatch.setattr(lag_monitor, "group_lag", fake_group_lag)
    assert await lag_monitor.refresh_lag(settings, metrics_in(registry)) == 6
    assert asked == [list(settings.source_topics)]
    sample = registry.get_sample_value
    assert sample("form4_consumer_lag", {"topic": settings.topic_raw, "partition": "0"}) == 4
    assert sample("form4_consumer_lag", {"topic": settings.topic_alerts, "partition": "1"}) == 2
