"""Bugs in a handler stop the process unacknowledged instead of Faust acking the message."""

from __future__ import annotations

import logging

import pytest

from streams.worker import crash


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
