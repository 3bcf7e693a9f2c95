"""Batches: the agents take records a batch at a time, wait once for Kafka, then write their state.

Issue 12: one acknowledgement wait per record, and a table changelog record per table per record,
capped the worker far below the machine. Now each agent takes up to ``FORM4_BATCH_MAX_RECORDS``
records (``stream.take_events``), handles them one by one against a :class:`WriteBack` view of its
tables (reads see the batch's own writes; nothing reaches a table yet), queues every record it sends
in an :class:`Outbox`, waits once for all the acknowledgements, and only then writes each changed key
to its table, once. A crash at any point before that leaves the tables and the committed offsets as
they were before the batch: the batch is redelivered and handled again, with the same ids (at-least-
once; never a record lost). Faust acknowledges the batch's events after the agent's loop body returns.

A crash *during* the writes can leave some tables' changelog records in Kafka and not others: the
records of different changelog partitions travel in different produce requests. So the "done"
markers (the ledger's ``filings`` and ``aliases``) go last, after a barrier that waits until Kafka
has every state record before them (:func:`settle_and_write`): a redelivered filing without its marker
is applied again, which changes nothing already applied (rows are keyed by event id); a marker without
the state it stands for, which would make the redelivery a "duplicate" and lose the filing, cannot
happen. Found by the SIGKILL crash test (a position missing after a kill mid-write).
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

from faust.stores import memory
from faust.streams import _current_event
from faust.types import EventT

from streams.domain.ledger import Stores
from streams.domain.records import ParsedFiling
from streams.worker.topics import Hurry, Send

V = TypeVar("V")

_DELETED: Any = object()
"""A key deleted in this batch (its table entry is removed at the flush)."""
_MISSING: Any = object()


@contextmanager
def handling(event: EventT[Any] | None) -> Iterator[None]:
    """Make ``event`` Faust's current event: a table write or a RocksDB read goes to its partition."""
    token = _current_event.set(weakref.ref(event) if event is not None else None)
    try:
        yield
    finally:
        _current_event.reset(token)


def reader(table: MutableMapping[str, V]) -> Callable[[str, Any], Any]:
    """``table.get``; for a Faust table over an in-memory store (``memory://``, ``compact://``), the
    ``get`` of the store's own mapping: the same value, without Faust's per-read sensor calls and the
    ``KeyError`` raised and caught for every key not there (``Mapping.get`` over ``Table.__getitem__``).

    Issue 12: the ledger reads about 65 keys per filing; through the table, those reads were 8% of
    the worker's CPU (py-spy). Faust's ``keys_retrieved`` counter no longer counts them.
    """
    store = getattr(table, "data", None)
    if isinstance(store, memory.Store):
        get: Callable[[str, Any], Any] = store.data.get
        return get
    return table.get


class WriteBack(MutableMapping[str, V], Generic[V]):
    """A table as one batch sees it: writes are kept here until :meth:`flush` writes each key once.

    Each pending key remembers the event that wrote it last, so its changelog record goes to that
    event's partition, as a direct write would.
    """

    def __init__(self, table: MutableMapping[str, V]) -> None:
        self.table = table
        self.read = reader(table)
        self.pending: dict[str, tuple[Any, EventT[Any] | None]] = {}
        self.event: EventT[Any] | None = None
        """The event being handled now (set by :meth:`BatchState.handling`)."""

    def get(self, key: str, default: Any = None) -> Any:
        hit = self.pending.get(key, _MISSING)
        if hit is _MISSING:
            return self.read(key, default)
        return default if hit[0] is _DELETED else hit[0]

    def __getitem__(self, key: str) -> V:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def __setitem__(self, key: str, value: V) -> None:
        self.pending[key] = (value, self.event)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending[key] = (_DELETED, self.event)

    def __iter__(self) -> Iterator[str]:
        deleted = {k for k, (v, _) in self.pending.items() if v is _DELETED}
        seen = set()
        for key in self.table:
            seen.add(key)
            if key not in deleted:
                yield key
        for key, (value, _) in self.pending.items():
            if key not in seen and value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self, keep: Keep | None = None) -> int:
        """Write every pending key to the table (one write, or one delete, per key); how many.

        ``keep``: whether the write of a key (by the event that wrote it last) is still ours to make;
        the others are dropped (see :func:`owned_by`)."""
        table = self.table
        for key, (value, event) in self.pending.items():
            if keep is not None and not keep(event):
                continue
            with handling(event):
                if value is _DELETED:
                    if key in table:
                        del table[key]
                else:
                    table[key] = value
        written = len(self.pending)
        self.pending.clear()
        return written

    def discard(self) -> None:
        """Forget the batch's writes: the table stays as it was before the batch."""
        self.pending.clear()


Keep = Callable[[EventT[Any] | None], bool]
"""Whether a batch's write, by the event that made it, is still this worker's to make."""


def owned_by(assigned: AbstractSet[Any]) -> Keep:
    """Writes of events whose partition is in ``assigned`` (and writes outside any event).

    A rebalance can revoke a partition while a batch of its records is in hand: the batch's writes for
    it would then reach a changelog partition another worker owns, after that worker read it to
    rebuild its table, and a later rebuild could end on them instead of on the new owner's. They are
    dropped; the new owner handles those records again from the committed offset (Faust discards our
    commit for a revoked partition). Found by the scale-out bench (positions off after a worker left).
    """

    def keep(event: EventT[Any] | None) -> bool:
        return event is None or event.message.tp in assigned

    return keep


@contextmanager
def acked_only_if_done(consumer: Any, events: Sequence[EventT[Any]]) -> Iterator[None]:
    """Around the handling of a batch: if it does not finish, its events are never acknowledged.

    ``take_events`` acknowledges a batch's events in a ``finally`` once the agent is done with it, and
    also when the agent is cancelled in the middle of it (a graceful stop: SIGTERM, a scale-in): Faust
    would then commit offsets of records whose state was never written. Marking the messages acked
    makes Faust's ``Consumer.ack`` skip them, so no commit passes them (streams/worker/offsets.py) and
    they are handled again by whoever owns the partition next. Faust 0.15.3's ``Message.acked`` and
    ``Consumer._unacked_messages`` (pinned): the latter so that a stop does not wait for them.
    """
    try:
        yield
    except BaseException:
        unacked = getattr(consumer, "_unacked_messages", None)
        for event in events:
            event.message.acked = True
            if unacked is not None:
                unacked.discard(event.message)
        raise


LEDGER_MARKERS = frozenset({"filings", "aliases"})
"""The ledger's stores that say a filing is done (its marker, and the alias written with it)."""


@dataclass
class BatchState:
    """The write-back views of one agent's tables."""

    views: dict[str, WriteBack[Any]]
    markers: frozenset[str] = frozenset()
    """Views written last, once the others are in Kafka: what says "done" (see the module's docstring)."""

    @classmethod
    def over(cls, **tables: MutableMapping[str, Any]) -> BatchState:
        return cls({name: WriteBack(table) for name, table in tables.items()})

    @classmethod
    def over_stores(cls, stores: Stores) -> BatchState:
        """The ledger's stores; its done markers (``filings``, and ``aliases`` written with them) last."""
        views = {f.name: WriteBack(getattr(stores, f.name)) for f in fields(stores)}
        return cls(views, markers=LEDGER_MARKERS)

    def stores(self) -> Stores:
        """A :class:`Stores` of these views, for the ledger."""
        return Stores(**self.views)

    @contextmanager
    def handling(self, event: EventT[Any] | None) -> Iterator[None]:
        """While one event is handled: Faust's current event, and the event each write remembers."""
        for view in self.views.values():
            view.event = event
        with handling(event):
            yield

    def flush(self, markers: bool | None = None, keep: Keep | None = None) -> int:
        """Write the pending keys of every view (``None``), of the marker views only (``True``) or of
        the others only (``False``); how many. ``keep``: see :meth:`WriteBack.flush`."""
        return sum(
            view.flush(keep)
            for name, view in self.views.items()
            if markers is None or (name in self.markers) == markers
        )

    def discard(self) -> None:
        for view in self.views.values():
            view.discard()


@dataclass
class Outbox:
    """The records one batch sends: queued as they are made, acknowledged all together."""

    send: Send
    hurry: Hurry | None = None
    """Called before the acknowledgements are awaited: the producer sends now, not after its linger."""
    acks: list[Awaitable[Any]] = field(default_factory=list)
    after: list[Callable[[], None]] = field(default_factory=list)
    """What to do once the batch is acknowledged and its state written: count, log."""
    tally: Counter[str] = field(default_factory=Counter)
    """What the batch did (filings parsed, duplicates, dead letters...), for its summary line."""

    async def put(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue one record (Faust batches it with the others under the producer's linger)."""
        self.acks.append(await self.send(topic, key, value))

    def then(self, done: Callable[[], None]) -> None:
        """Run ``done`` once the batch is acknowledged: metrics count what Kafka has, not what it may lose."""
        self.after.append(done)

    def done(self) -> None:
        after, self.after = self.after, []
        for action in after:
            action()

    def summary(self) -> str:
        """``parsed=12 events=30 duplicate=1``: the batch's tally, for its one log line."""
        return " ".join(f"{k}={v}" for k, v in self.tally.items() if v)

    def __len__(self) -> int:
        return len(self.acks)

    async def settle(self) -> None:
        """Wait until Kafka acknowledged every queued record; raise the first failure, after all settled."""
        acks, self.acks = self.acks, []
        if acks and self.hurry is not None:
            await self.hurry()
        failed: BaseException | None = None
        for ack in acks:
            try:
                await ack
            except Exception as exc:  # noqa: BLE001 - every acknowledgement is awaited, then the first raised
                failed = failed or exc
        if failed is not None:
            raise failed


Barrier = Callable[[], Awaitable[None]]
"""Waits until Kafka acknowledged the state records written so far (:class:`ChangelogBarrier`)."""


class ChangelogBarrier:
    """Waits until Kafka acknowledged every changelog record the watched tables sent since the last wait.

    A table write sends its changelog record through Faust's producer buffer and drops the future
    (``Table.on_key_set``); the producer's own ``flush`` gives up after 0.1 s without a send, so it is
    no barrier. This keeps the futures instead, by wrapping ``send_changelog`` on each table instance
    (faust-streaming 0.15.3, pinned).
    """

    def __init__(self, tables: Iterable[Any], hurry: Hurry | None = None) -> None:
        self.pending: list[Awaitable[Any]] = []
        self.hurry = hurry
        """Called before the wait: the producer sends now, not after its linger."""
        for table in tables:
            send = table.send_changelog

            def tracked(*args: Any, _send: Callable[..., Any] = send, **kwargs: Any) -> Any:
                future = _send(*args, **kwargs)
                self.pending.append(future)
                return future

            table.send_changelog = tracked

    async def __call__(self) -> None:
        pending, self.pending = self.pending, []
        if pending and self.hurry is not None:
            await self.hurry()
        for future in pending:
            await future


Assigned = Callable[[], AbstractSet[Any]]
"""The partitions this worker's consumer owns now (``app.consumer.assignment``)."""


async def settle_and_write(
    outbox: Outbox, state: BatchState, barrier: Barrier | None = None, assigned: Assigned | None = None
) -> None:
    """Wait for every acknowledgement of a batch, then write its state and run what follows it.

    With ``state.markers`` and a ``barrier``: the other views are written, the barrier waited for, then
    the markers written. With ``assigned``: only the writes of partitions still assigned (read after
    the acknowledgements, and again after the barrier; :func:`owned_by`). A failed acknowledgement
    forgets the batch's state (as a crash would: the batch is handled again after the restart) and is
    raised; so is a failed barrier.
    """
    try:
        await outbox.settle()
    except BaseException:
        state.discard()
        raise

    def keep() -> Keep | None:
        return owned_by(assigned()) if assigned is not None else None

    if barrier is not None and state.markers:
        if state.flush(markers=False, keep=keep()):
            await barrier()
        state.flush(markers=True, keep=keep())
    else:
        state.flush(keep=keep())
    outbox.done()


class Handoff:
    """Parsed filings this worker just published, by their exact bytes: when the same worker reads one
    back from the parsed topic, the ledger takes the object instead of validating the JSON again.

    Identical bytes are the identical record, so this never changes what is applied; a record from
    another worker, a redelivery or one evicted (the oldest go first, past ``size``) is validated.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._records: dict[bytes, ParsedFiling] = {}
        self.hits = 0

    def put(self, value: bytes, record: ParsedFiling) -> None:
        if self.size <= 0:
            return
        records = self._records
        records[value] = record
        while len(records) > self.size:
            del records[next(iter(records))]

    def take(self, value: bytes) -> ParsedFiling | None:
        record = self._records.pop(value, None)
        if record is not None:
            self.hits += 1
        return record

    def __len__(self) -> int:
        return len(self._records)


__all__ = [
    "LEDGER_MARKERS",
    "acked_only_if_done",
    "Barrier",
    "BatchState",
    "ChangelogBarrier",
    "Handoff",
    "Outbox",
    "WriteBack",
    "handling",
    "owned_by",
    "reader",
    "settle_and_write",
]
