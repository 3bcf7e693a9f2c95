"""The agents' poison guard: a record that keeps failing is dead-lettered; infrastructure errors stop."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from aiokafka.errors import KafkaTimeoutError
from faust.exceptions import ProducerSendError
from prometheus_client import CollectorRegistry

from parsers import to_events
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.records import DeadLetter
from streams.worker.agents.positions import TrackPositions
from streams.worker.metrics import metrics_in
from streams.worker.poison import Consumed, PoisonGuard, is_infrastructure
from synthetic import scenarios as sc
from tests.unit.worker.fakes import RecordingSender, message, unit_settings


class Stopped(Exception):
    """What the test's ``die`` raises: the worker would have exited here."""


class Handler:
    """A handler that fails its first ``failures`` calls with ``error``, then succeeds."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error


def guard(sender: RecordingSender, stopped: list[BaseException], **overrides: object) -> PoisonGuard:
    def die(_message: Consumed, exc: BaseException) -> None:
        stopped.append(exc)
        raise Stopped from exc

    return PoisonGuard("parse", unit_settings(**overrides), sender, die=die)


async def test_a_record_failing_every_time_is_dead_lettered_after_k_attempts() -> None:
    """K failures: one processing_error dead letter with the stage, exception and bytes; no exit."""
    sender, stopped = RecordingSender(), list[BaseException]()
    g = guard(sender, stopped, max_record_attempts=4)
    handler = Handler(ZeroDivisionError("division by zero"), failures=99)
    await g.run(b"raw bytes", message(b"raw bytes"), handler)
    assert handler.calls == 4
    assert stopped == []
    (sent,) = sender.on(g.settings.topic_dlq)
    letter = DeadLetter.model_validate_json(sent.value)
    assert (letter.reason, letter.stage, letter.exception, letter.attempts) == (
        "processing_error",
        "parse",
        "ZeroDivisionError",
        4,
    )
    assert letter.error == "ZeroDivisionError: division by zero"
    assert letter.original() == b"raw bytes" and letter.source_offset == 7 and sent.key == b"key"
    assert g.failures == 1


async def test_a_record_that_succeeds_on_a_retry_is_not_dead_lettered() -> None:
    """A failure that goes away (second attempt) just costs an attempt."""
    sender, stopped = RecordingSender(), list[BaseException]()
    handler = Handler(RuntimeError("flaky"), failures=1)
    await guard(sender, stopped).run(b"x", message(b"x"), handler)
    assert handler.calls == 2 and sender.sent == [] and stopped == []


@pytest.mark.parametrize(
    "error",
    [
        KafkaTimeoutError(),
        OSError(28, "No space left on device"),
        TimeoutError("no answer"),
        MemoryError(),
        ProducerSendError("Error while sending"),
    ],
    ids=["kafka", "disk", "timeout", "memory", "producer"],
)
async def test_infrastructure_errors_stop_the_worker_unacked_at_once(error: Exception) -> None:
    """Broker, disk, memory: no retry, no dead letter; the worker stops so the record is redelivered."""
    sender, stopped = RecordingSender(), list[BaseException]()
    handler = Handler(error, failures=99)
    with pytest.raises(Stopped):
        await guard(sender, stopped).run(b"x", message(b"x"), handler)
    assert handler.calls == 1 and stopped == [error] and sender.sent == []


async def test_a_failed_acknowledgement_inside_the_handler_stops_the_worker() -> None:
    """The handler's own send not acknowledged by Kafka is infrastructure, even when wrapped with ``from``."""
    sender, stopped = RecordingSender(), list[BaseException]()

    async def handler() -> None:
        try:
            raise KafkaTimeoutError()
        except KafkaTimeoutError as exc:
            raise RuntimeError("send failed") from exc

    with pytest.raises(Stopped):
        await guard(sender, stopped).run(b"x", message(b"x"), handler)
    assert sender.sent == []


def test_an_error_merely_raised_while_handling_an_oserror_is_the_handlers_own() -> None:
    """Only an explicit cause makes an error infrastructure, not the implicit context."""
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError:
            raise KeyError("bug") from None
    except KeyError as bug:
        assert not is_infrastructure(bug)


async def test_when_the_dead_letter_is_not_acknowledged_the_worker_stops() -> None:
    """The record is kept (unacked) rather than dropped when its dead letter cannot be written."""
    sender, stopped = RecordingSender(acks="fail"), list[BaseException]()
    with pytest.raises(Stopped):
        await guard(sender, stopped).run(b"x", message(b"x"), Handler(ValueError("bug"), failures=99))
    assert len(sender.sent) == 1 and len(stopped) == 1


async def test_positions_poison_is_dead_lettered_and_leaves_the_ledger_as_it_was(
    registry: CollectorRegistry,
) -> None:
    """A parsed record that overflows the ledger: dead-lettered (stage positions), no partial state, the
    next record is applied."""
    settings = unit_settings()
    stores = Stores()
    sender = RecordingSender()
    step = TrackPositions(
        settings=settings,
        ledger=Ledger(stores, settings),
        positions=stores.positions,
        send=sender,
        metrics=metrics_in(registry),
    )
    stopped: list[BaseException] = []

    def die(_message: Consumed, exc: BaseException) -> None:
        stopped.append(exc)

    g = PoisonGuard("positions", settings, sender, step.metrics, die=die)
    filing = sc.exercise_and_sell()
    good = to_parsed(filing, to_events(filing))
    last = good.events[-1].model_copy(update={"shares": Decimal("1e1000000")})
    poison = good.model_copy(update={"events": (*good.events[:-1], last)}).to_json()

    msg = message(poison, topic=settings.topic_parsed, offset=1)
    await g.run(poison, msg, lambda: step.handle_parsed(poison, msg))
    assert stopped == []
    (sent,) = sender.on(settings.topic_dlq)
    letter = orjson.loads(sent.value)
    assert (letter["reason"], letter["stage"], letter["exception"]) == (
        "processing_error",
        "positions",
        "decimal.Overflow",
    )
    assert all(len(store) == 0 for store in vars(stores).values())  # nothing half-applied

    raw = good.to_json()
    msg = message(raw, topic=settings.topic_parsed, offset=2)
    await g.run(raw, msg, lambda: step.handle_parsed(raw, msg))
    assert stores.positions and stores.filings[good.filing_id].done
    assert len(sender.on(settings.topic_dlq)) == 1
    assert registry.get_sample_value("form4_dead_letters_total", {"reason": "processing_error"}) == 1
