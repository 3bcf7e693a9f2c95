"""Backfill records set aside while a live filing waits, fetched again later (issue 12, goal 3).

Without a broker: which records are set aside, that they are never acknowledged, the seek back, the
stale records dropped in Faust's fetch loop, and a parse batch that hands the live record its turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from aiokafka.errors import IllegalStateError
from faust.types import TP, Message
from prometheus_client import CollectorRegistry

from streams.worker.agents.parse import ParseFilings
from streams.worker.metrics import metrics_in
from streams.worker.rewind import Rewinds
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from tests.unit.worker.fakes import RecordingSender, message, unit_settings
from tests.unit.worker.test_batch import FakeEvent, guard

SETTINGS = unit_settings()
LIVE, BACKFILL = SETTINGS.topic_raw, SETTINGS.topic_backfill
TP1 = TP(BACKFILL, 1)


class FakeConsumer:
    """Faust's consumer as the rewinds use it: a fetch loop source, read offsets, a seek."""

    def __init__(self, fetched: list[Message] | None = None, refuse: set[TP] | None = None) -> None:
        self.fetched = fetched or []
        self.refuse = refuse or set()
        self.sought: list[tuple[TP, int]] = []
        self._unacked_messages: set[Message] = set()
        self._read_offset: dict[TP, int | None] = {}

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        for m in self.fetched:
            yield m.tp, m

    async def seek(self, tp: TP, offset: int) -> None:
        if tp in self.refuse:
            raise IllegalStateError(f"{tp} is not assigned")
        self.sought.append((tp, offset))


class Flag:
    def __init__(self) -> None:
        self.up = False

    def __call__(self) -> bool:
        return self.up


def installed(consumer: FakeConsumer) -> tuple[Rewinds, Flag]:
    flag = Flag()
    rewinds = Rewinds(frozenset({BACKFILL, SETTINGS.topic_parsed_backfill}), flag)
    rewinds.install(SimpleNamespace(consumer=consumer))  # type: ignore[arg-type]
    return rewinds, flag


def event(topic: str, offset: int, value: bytes = b"x") -> Any:
    return FakeEvent(value, message(value, topic=topic, offset=offset))


async def fetch_loop(consumer: FakeConsumer) -> list[int]:
    """The offsets Faust's loop would hand to the streams, through the installed filter."""
    return [m.offset async for _, m in consumer.getmany(timeout=1.0)]


def test_nothing_is_set_aside_while_no_live_record_waits() -> None:
    rewinds, _ = installed(FakeConsumer())
    assert [rewinds.set_aside(event(BACKFILL, n)) for n in range(3)] == [False] * 3
    assert rewinds.points == {}


async def test_a_partition_is_set_aside_from_its_first_record_on_and_sought_back_once() -> None:
    consumer = FakeConsumer()
    rewinds, flag = installed(consumer)
    assert not rewinds.set_aside(event(BACKFILL, 10))
    flag.up = True
    live = event(LIVE, 3)
    assert not rewinds.set_aside(live), "live records are never set aside"
    aside = [event(BACKFILL, n) for n in (11, 12)]
    assert all(rewinds.set_aside(e) for e in aside)
    flag.up = False
    assert rewinds.set_aside(event(BACKFILL, 13)), "the rest of a partition set aside stays aside"
    assert all(e.message.acked for e in aside), "acked as far as Faust knows: no commit passes them"
    assert not live.message.acked
    assert await rewinds.rewind() == 1
    assert consumer.sought == [(TP1, 11)]
    assert await rewinds.rewind() == 0, "sought once"
    assert rewinds.set_aside_total == 3 and rewinds.seeks == 1


async def test_stale_records_are_dropped_in_the_fetch_loop_and_the_refetch_is_handled_in_order() -> None:
    # Fetched before the seek: 13, 14 (stale); then, after it, 11 onwards again.
    fetched = [message(b"x", topic=BACKFILL, offset=n) for n in (13, 14, 11, 12, 13, 14, 15)]
    consumer = FakeConsumer(fetched)
    rewinds, flag = installed(consumer)
    flag.up = True
    assert rewinds.set_aside(event(BACKFILL, 11))
    flag.up = False
    await rewinds.rewind()
    consumer._read_offset[TP1] = 14  # moved on by a stale record handed on before the seek
    assert await fetch_loop(consumer) == [11, 12, 13, 14, 15]
    assert consumer._read_offset[TP1] == 11, "put back, or Faust would drop 11 to 13 as already read"
    assert rewinds.stale_dropped == 2
    # In the agent: stale records queued before the seek come first and are set aside; the record at
    # the seek point fetched again ends that, and what follows is handled.
    assert rewinds.set_aside(event(BACKFILL, 12))
    assert [rewinds.set_aside(event(BACKFILL, n)) for n in (11, 12, 13)] == [False, False, False]
    assert rewinds.points == {}


async def test_an_earlier_record_ends_the_set_aside_and_a_revoked_partition_is_not_sought() -> None:
    consumer = FakeConsumer(refuse={TP1})
    rewinds, flag = installed(consumer)
    flag.up = True
    assert rewinds.set_aside(event(BACKFILL, 40))
    assert await rewinds.rewind() == 0, "revoked meanwhile: its new owner reads it from the commit"
    assert rewinds.points == {}
    assert rewinds.set_aside(event(BACKFILL, 50))
    flag.up = False
    assert not rewinds.set_aside(event(BACKFILL, 45)), "redelivered from an earlier commit: in order"
    flag.up = True
    assert rewinds.set_aside(event(BACKFILL, 46))
    rewinds.forget()  # a rebalance
    flag.up = False
    assert not rewinds.set_aside(event(BACKFILL, 47))


async def test_a_parse_batch_sets_backfill_aside_while_a_live_filing_waits(
    registry: CollectorRegistry,
) -> None:
    raws = [render_submission(f) for f in generate(5, 4)]
    consumer = FakeConsumer()
    rewinds, flag = installed(consumer)
    sender = RecordingSender()
    step = ParseFilings(SETTINGS, {}, sender, metrics_in(registry), rewinds=rewinds)
    backfill = [event(BACKFILL, n, raw) for n, raw in enumerate(raws[:3])]
    live = event(LIVE, 0, raws[3])
    flag.up = True
    await step.handle_batch([*backfill, live], guard("parse", sender, registry))
    parsed_topics = [s.topic for s in sender.sent if s.topic != SETTINGS.topic_transactions]
    assert parsed_topics == [SETTINGS.topic_parsed], "only the live filing was parsed"
    assert all(e.message.acked for e in backfill)
    assert consumer.sought == [(TP1, 0)]
    # Later, the backfill fetched again: parsed as usual.
    flag.up = False
    again = [event(BACKFILL, n, raw) for n, raw in enumerate(raws[:3])]
    await step.handle_batch(again, guard("parse", sender, registry))
    parsed_topics = [s.topic for s in sender.sent if s.topic != SETTINGS.topic_transactions]
    assert parsed_topics == [SETTINGS.topic_parsed] + [SETTINGS.topic_parsed_backfill] * 3
