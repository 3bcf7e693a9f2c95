"""Wiring of the Faust app: tables pre-created by the worker, and bugs that stop the process unacked."""

from __future__ import annotations

import logging

import pytest

from streams.worker import crash
from streams.worker.app import app
from streams.worker.tables import TABLE_NAMES, changelog_topics


def test_every_table_changelog_is_pre_created_by_the_worker() -> None:
    """A table missing from TABLE_NAMES would get its changelog auto-created with the wrong partitions."""
    assert set(app.tables.keys()) == set(TABLE_NAMES)
    assert set(changelog_topics(app.conf.id)) == {
        t.changelog_topic.get_topic_name() for t in app.tables.values()
    }


def test_unexpected_error_exits_without_acknowledging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a handler exits the process (EX_SOFTWARE) naming the message, instead of Faust acking it."""
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(crash.os, "_exit", fake_exit)

    class Message:
        topic, partition, offset = "form4.filings.parsed", 2, 41

    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit):
        crash.die_unacked(Message(), KeyError("boom"))  # type: ignore[arg-type]
    assert codes == [70]
    assert "form4.filings.parsed[2]@41" in caplog.text
