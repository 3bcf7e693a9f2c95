"""``wait_for_broker``: every sign of a broker still starting is retried; anything else is raised."""

from __future__ import annotations

import pytest
import stamina
from aiokafka.errors import KafkaConnectionError, NodeNotReadyError

from streams.adapters import topics_admin
from streams.adapters.topics_admin import (
    BrokerNotReady,
    TopicAdminError,
    is_retryable_broker_error,
    wait_for_broker,
)
from streams.config.settings import Settings


@pytest.mark.parametrize(
    "exc",
    [
        KafkaConnectionError(),
        NodeNotReadyError(),
        ConnectionRefusedError(),
        ConnectionResetError(),
        TimeoutError(),
        BrokerNotReady("no live broker yet"),
    ],
)
def test_a_starting_broker_is_waited_for(exc: Exception) -> None:
    assert is_retryable_broker_error(exc) is True


@pytest.mark.parametrize("exc", [ValueError("a bug"), TopicAdminError("given up"), KeyError("brokers")])
def test_other_errors_are_not_retried(exc: Exception) -> None:
    assert is_retryable_broker_error(exc) is False


async def test_waits_until_a_live_broker_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused, then no live broker, then the cluster: three attempts, the cluster returned."""
    answers: list[Exception | dict[str, object]] = [
        KafkaConnectionError(),
        BrokerNotReady("no live broker yet"),
        {"brokers": [{"node_id": 1}]},
    ]

    async def fake_describe(
        bootstrap: str | list[str], deadline: float, settings: Settings | None
    ) -> dict[str, object]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(topics_admin, "_describe_live_cluster", fake_describe)
    assert await wait_for_broker("127.0.0.1:9", timeout=5) == {"brokers": [{"node_id": 1}]}
    assert answers == []


async def test_gives_up_with_one_line_naming_the_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = 0

    async def fake_describe(
        bootstrap: str | list[str], deadline: float, settings: Settings | None
    ) -> dict[str, object]:
        nonlocal attempts
        attempts += 1
        raise KafkaConnectionError("refused")

    monkeypatch.setattr(topics_admin, "_describe_live_cluster", fake_describe)
    with stamina.set_testing(True, attempts=3), pytest.raises(TopicAdminError, match="127.0.0.1:9"):
        await wait_for_broker("127.0.0.1:9", timeout=5)
    assert attempts == 3


async def test_an_unexpected_error_is_raised_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_describe(
        bootstrap: str | list[str], deadline: float, settings: Settings | None
    ) -> dict[str, object]:
        raise ValueError("a bug")

    monkeypatch.setattr(topics_admin, "_describe_live_cluster", fake_describe)
    with pytest.raises(ValueError, match="a bug"):
        await wait_for_broker("127.0.0.1:9", timeout=5)
