"""``follow`` and ``backfill``: list filings on EDGAR, download them, send them to Kafka.

``follow`` feeds the live lane (``FORM4_TOPIC_RAW``), ``backfill`` the backfill lane
(``FORM4_TOPIC_BACKFILL``), which the worker reads only while no live filing waits.

Delivery is at-least-once: the checkpoint is written only after Kafka acknowledged a batch, so a
crash in between re-sends that batch on restart, and the worker drops the duplicates by filing id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import TracebackType
from typing import Protocol

from aiokafka import AIOKafkaProducer

from streams.adapters.acks import send_acked
from streams.adapters.edgar.client import EdgarClient, EdgarError
from streams.adapters.edgar.feed import FEED_TYPES, FeedEntry, feed_url, parse_feed
from streams.adapters.edgar.fetch import FilingRef, fetch_submission
from streams.adapters.edgar.index import business_days, daily_index_path, parse_form_index
from streams.adapters.edgar.metrics import (
    edgar_filings_failed,
    edgar_filings_sent,
    edgar_last_poll,
    edgar_polls,
)
from streams.adapters.edgar.state import EdgarState, state_path
from streams.adapters.kafka_security import start_checked
from streams.adapters.producer import make_producer
from streams.config.settings import Settings

log = logging.getLogger(__name__)

Echo = Callable[[str], None]
FEED_PAGE_SIZE = 100
MAX_FEED_PAGES = 5
"""Pages read per form family and poll when every entry is new (a burst between two polls)."""
_BATCH = 25  # filings per Kafka batch and checkpoint write
_FETCH_CONCURRENCY = 4  # enough to keep the rate limiter, not the round trips, the bottleneck


class Sink(Protocol):
    """Where downloaded filings go: ``send_all`` returns once every one is acknowledged."""

    async def send_all(self, items: Sequence[tuple[str, bytes]]) -> None: ...


class KafkaSink:
    """One lane's raw topic (``topic``: the live one by default), via
    :func:`streams.adapters.producer.make_producer`, keyed by accession number."""

    def __init__(self, settings: Settings, topic: str | None = None) -> None:
        self.topic = topic or settings.topic_raw
        self.settings = settings
        self.producer: AIOKafkaProducer = make_producer(settings)  # TLS/SASL from settings

    async def __aenter__(self) -> KafkaSink:
        await start_checked(self.producer, self.settings)  # refused credentials: KafkaAccessError
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.producer.stop()

    async def send_all(self, items: Sequence[tuple[str, bytes]]) -> None:
        await send_acked(self.producer.send(self.topic, raw, key=key.encode()) for key, raw in items)


@dataclass
class Counts:
    """What one poll or one backfill day did."""

    listed: int = 0
    sent: int = 0
    known: int = 0
    failed: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.listed += other.listed
        self.sent += other.sent
        self.known += other.known
        self.failed += other.failed
        return self

    def __str__(self) -> str:
        return f"listed {self.listed}, sent {self.sent}, already sent {self.known}, failed {self.failed}"


async def push_refs(
    client: EdgarClient, sink: Sink, state: EdgarState, refs: Iterable[FilingRef], echo: Echo
) -> Counts:
    """Download the filings not sent yet, send them, and checkpoint them once acknowledged."""
    counts = Counts()
    todo: dict[str, FilingRef] = {}
    for ref in refs:
        counts.listed += 1
        if ref.accession in state or ref.accession in todo:
            counts.known += 1
        else:
            todo[ref.accession] = ref
    gate = asyncio.Semaphore(_FETCH_CONCURRENCY)

    async def fetch(ref: FilingRef) -> bytes | None:
        async with gate:
            try:
                return await fetch_submission(client, ref)
            except EdgarError as exc:
                echo(f"form4 edgar: {ref.accession} ({ref.form_type}) not fetched: {exc}")
                return None

    pending = list(todo.values())
    for start in range(0, len(pending), _BATCH):
        batch = pending[start : start + _BATCH]
        bodies = await asyncio.gather(*(fetch(ref) for ref in batch))
        items = [(ref.accession, body) for ref, body in zip(batch, bodies, strict=True) if body is not None]
        counts.failed += len(batch) - len(items)
        edgar_filings_failed.inc(len(batch) - len(items))
        if items:
            await sink.send_all(items)
            for accession, _ in items:
                state.add(accession)
            state.save()
            counts.sent += len(items)
            edgar_filings_sent.inc(len(items))
    return counts


async def poll_feed(client: EdgarClient, sink: Sink, state: EdgarState, echo: Echo) -> Counts:
    """One poll of the latest-filings feed for every ownership form family."""
    entries: list[FeedEntry] = []
    for form_type in FEED_TYPES:
        for page in range(MAX_FEED_PAGES):
            url = feed_url(client.base_url, form_type, page * FEED_PAGE_SIZE, FEED_PAGE_SIZE)
            body = await client.get(url)
            parsed = parse_feed(body or b"")
            entries.extend(parsed.entries)
            all_new = all(e.accession not in state for e in parsed.entries)
            # Older pages only matter when this one was full and nothing on it was seen before.
            if parsed.listed < FEED_PAGE_SIZE or not all_new:
                break
    # The feed is newest first; send oldest first so the raw topic keeps filing order.
    entries.sort(key=lambda e: e.updated.timestamp() if e.updated else 0.0)
    return await push_refs(client, sink, state, (FilingRef.of(e) for e in entries), echo)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` unless ``stop`` is set first."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def follow(settings: Settings, sink: Sink, *, once: bool, stop: asyncio.Event, echo: Echo) -> Counts:
    """Poll the feed every ``edgar_poll_seconds`` until ``stop`` (or once).

    Raises:
        EdgarError: with ``once``, when the poll failed; a long-running follow logs and carries on.
    """
    total = Counts()
    state = EdgarState.load(state_path(settings))
    async with EdgarClient(settings) as client:
        while not stop.is_set():
            try:
                counts = await poll_feed(client, sink, state, echo)
            except (EdgarError, ValueError) as exc:
                edgar_polls.labels("failed").inc()
                if once:
                    raise EdgarError(f"feed poll failed: {exc}") from exc
                echo(f"form4 edgar: feed poll failed, trying again next poll: {exc}")
            else:
                edgar_polls.labels("ok").inc()
                edgar_last_poll.set_to_current_time()
                total += counts
                echo(f"poll: {counts}")
            if once:
                break
            await wait_or_stop(stop, settings.edgar_poll_seconds)
    return total


async def backfill(
    settings: Settings, sink: Sink, start: date, end: date, *, resume: bool, stop: asyncio.Event, echo: Echo
) -> Counts:
    """Send every ownership filing of the daily form indexes from ``start`` to ``end``.

    Days without an index (holidays, not yet published) are skipped. With ``resume``, days up to
    the checkpoint's ``backfill_done`` are not read again; the checkpoint only moves over days whose
    filings were all sent, so a failed filing is retried by the next run.
    """
    total = Counts()
    state = EdgarState.load(state_path(settings))
    if resume and state.backfill_done and start <= state.backfill_done <= end:
        echo(f"resuming after {state.backfill_done} (checkpoint)")
        start = state.backfill_done + timedelta(days=1)
    contiguous = True
    async with EdgarClient(settings) as client:
        for day in business_days(start, end):
            if stop.is_set():
                break
            body = await client.get(client.url(daily_index_path(day)), missing_ok=True)
            if body is None:
                echo(f"{day}: no index (holiday or not published)")
                counts = Counts()
            else:
                refs = [FilingRef.of(e) for e in parse_form_index(body)]
                counts = await push_refs(client, sink, state, refs, echo)
                echo(f"{day}: {counts}")
                total += counts
            contiguous = contiguous and counts.failed == 0
            if contiguous:
                state.backfill_done = day
                state.save()
    return total
