"""The Kafka client's reconnect flood (broker down) becomes one line per interval, with a count."""

from __future__ import annotations

import logging

import pytest

from streams.worker.logs import RepeatFilter, install_repeat_filter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_reconnect_flood_gives_one_line_per_interval_with_the_count_held_back() -> None:
    """3,000 identical reconnect errors in 40 s: 4 lines at a 10 s interval, each later one counting."""
    clock = Clock()
    flt = RepeatFilter(10.0, clock=clock)
    passed: list[str] = []
    indices: list[int] = []
    for i in range(3000):
        clock.now = 1000.0 + i * 40.0 / 3000
        rec = record("aiokafka.conn", "Unable connect to node with id %s: %s", 1, "Connect call failed")
        if flt.filter(rec):
            passed.append(rec.getMessage())
            indices.append(i)
    assert len(passed) == 4
    assert passed[0] == "Unable connect to node with id 1: Connect call failed"
    held = [int(line.split("[")[1].split()[0]) for line in passed[1:]]
    # Every record between two lines let through is counted on the second one.
    assert held == [b - a - 1 for a, b in zip(indices, indices[1:], strict=False)]
    assert "held back in 10s" in passed[1]


def test_different_messages_and_our_own_loggers_are_never_held_back() -> None:
    """Each distinct template passes; streams.* lines (one per filing) are never limited."""
    flt = RepeatFilter(10.0, clock=Clock())
    assert flt.filter(record("aiokafka.client", "Unable to update metadata from %s", [1]))
    assert flt.filter(record("aiokafka.conn", "Unable connect to node with id %s", 1))
    assert not flt.filter(record("aiokafka.conn", "Unable connect to node with id %s", 2))
    assert flt.filter(record("aiokafka.conn", "Unable connect to node with id %s", 1, level=logging.WARNING))
    for _ in range(5):
        assert flt.filter(record("streams.worker.agents.parse", "parsed %s", "x"))
    assert flt.filter(record("aiokafkaish", "same %s", 1)) and flt.filter(record("aiokafkaish", "same %s", 1))


def test_interval_zero_lets_everything_through() -> None:
    flt = RepeatFilter(0.0, clock=Clock())
    assert all(flt.filter(record("aiokafka", "Unable to connect")) for _ in range(10))


def test_installed_on_the_root_handlers_it_limits_child_loggers(caplog: pytest.LogCaptureFixture) -> None:
    """A filter on the root's handlers sees aiokafka.* records (a filter on a logger would not)."""
    root = logging.getLogger()
    flt = install_repeat_filter(root, 60.0)
    try:
        with caplog.at_level(logging.ERROR):
            caplog.handler.addFilter(flt)
            for _ in range(50):
                logging.getLogger("aiokafka.conn").error("Unable connect to node with id %s", 1)
        assert sum("Unable connect" in r.getMessage() for r in caplog.records) == 1
    finally:
        caplog.handler.removeFilter(flt)
        for handler in root.handlers:
            handler.removeFilter(flt)
