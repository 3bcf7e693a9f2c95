"""``group_lag_retrying``: what counts as "not yet" (retried) and what as "no" (raised at once)."""

from __future__ import annotations

import pytest
import stamina
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    GroupCoordinatorNotAvailableError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NodeNotReadyError,
    NotCoordinatorForGroupError,
)

from streams.adapters import lag
from streams.adapters.lag import GroupLag, KafkaUnreachable, group_lag_retrying, is_retryable_lag_error
from streams.config.settings import Settings


@pytest.mark.parametrize(
    "exc",
    [
        GroupCoordinatorNotAvailableError(),  # a fresh broker still creating its offsets topic
        NotCoordinatorForGroupError(),
        NodeNotReadyError(),
        KafkaConnectionError(),
    ],
)
def test_kafkas_retriable_errors_are_retried(exc: KafkaError) -> None:
    assert is_retryable_lag_error(exc) is True


@pytest.mark.parametrize(
    "exc",
    [
        GroupAuthorizationFailedError(),
        KafkaTimeoutError(),
        OSError("refused"),
        ValueError("a bug"),
        KafkaUnreachable("no broker answered at 127.0.0.1:1 within 3s"),  # nobody there: fail fast
    ],
)
def test_final_kafka_errors_and_anything_else_are_not(exc: Exception) -> None:
    """Kafka errors it calls non-retriable, and errors that are not Kafka's, are raised at once."""
    assert is_retryable_lag_error(exc) is False


async def test_not_yet_is_retried_until_the_answer_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two GroupCoordinatorNotAvailable answers, then the lag: three calls, the lag returned."""
    answers: list[Exception | GroupLag] = [
        GroupCoordinatorNotAvailableError(),
        GroupCoordinatorNotAvailableError(),
        GroupLag("g", []),
    ]
    calls: list[tuple[list[str] | None, str | None]] = []

    async def fake_group_lag(
        settings: Settings, topics: list[str] | None, group: str | None, **_: object
    ) -> GroupLag:
        calls.append((topics, group))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(lag, "group_lag", fake_group_lag)
    result = await group_lag_retrying(Settings(), ["t"], "g")
    assert result == GroupLag("g", []) and calls == [(["t"], "g")] * 3


async def test_a_final_error_is_raised_after_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0

    async def fake_group_lag(
        settings: Settings, topics: list[str] | None, group: str | None, **_: object
    ) -> GroupLag:
        nonlocal calls
        calls += 1
        raise GroupAuthorizationFailedError()

    monkeypatch.setattr(lag, "group_lag", fake_group_lag)
    with pytest.raises(GroupAuthorizationFailedError):
        await group_lag_retrying(Settings(), None, None)
    assert calls == 1


async def test_not_yet_for_ever_ends_with_the_last_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The patience bounds the retries; afterwards the caller sees Kafka's error, not a timeout of ours."""

    async def fake_group_lag(
        settings: Settings, topics: list[str] | None, group: str | None, **_: object
    ) -> GroupLag:
        raise GroupCoordinatorNotAvailableError()

    monkeypatch.setattr(lag, "group_lag", fake_group_lag)
    with stamina.set_testing(True, attempts=5), pytest.raises(GroupCoordinatorNotAvailableError):
        await group_lag_retrying(Settings(), None, None)


async def test_strict_and_timeout_reach_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, object]] = []

    async def fake_group_lag(
        settings: Settings, topics: list[str] | None, group: str | None, **kwargs: object
    ) -> GroupLag:
        seen.append(kwargs)
        return GroupLag("g", [])

    monkeypatch.setattr(lag, "group_lag", fake_group_lag)
    await group_lag_retrying(Settings(), None, "g", strict=True, timeout=1.5)
    assert seen == [{"strict": True, "timeout": 1.5}]
