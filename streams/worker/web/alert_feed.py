"""The recent alerts a worker's web page shows: the tail of the alerts topic, kept in a bounded ring.

Why the topic and not the positions agent's outcomes: the alerts topic is the public record
(``form4.alert/1``), and a group-less consumer reads *all* its partitions, so every worker's page shows
every alert (the positions agent of one worker only sees its own partitions' alerts). At start the feed
reads back the last ``FORM4_PAGE_ALERTS`` records of each partition, so a restarted worker shows the
same page. Only the newest ``FORM4_PAGE_ALERTS`` alerts are kept in memory (a few MB at most).

Each change gets a sequence number; the page polls ``/api/alerts?since=<seq>`` for what changed.
A retraction strikes through the alert it retracts (or stands for it, struck through, when that alert
is older than the ring).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from streams.adapters.kafka_security import client_kwargs
from streams.config.settings import Settings
from streams.domain.records import Alert

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
"""Pause before reconnecting when the broker is unreachable (the page shows what it has meanwhile)."""


def edgar_url(alert: Alert) -> str | None:
    """Where the alert's filing is on EDGAR: its archive folder when the accession and CIK are known,
    else the issuer's EDGAR filing list (by CIK, or by ticker, which EDGAR's browse also accepts)."""
    cik = alert.issuer_cik.lstrip("0")
    if alert.accession_numbers and cik.isdigit():
        accession = alert.accession_numbers[-1].replace("-", "")
        return f"https://www.sec.gov/Archives/edgar/data/{cik}/{accession}/"
    who = cik if cik.isdigit() else (alert.ticker or "")
    if not who:
        return None
    return f"https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={who}&type=4&owner=include"


@dataclass(frozen=True)
class FeedEntry:
    alert: Alert
    retracted: bool
    seq: int

    def to_json(self) -> dict[str, Any]:
        body = self.alert.model_dump(mode="json", by_alias=True)
        body.update(retracted=self.retracted, seq=self.seq, edgar_url=edgar_url(self.alert))
        return body


class AlertFeed:
    """The newest ``capacity`` alerts by last change, each with the sequence number of that change."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.seq = 0
        self._entries: OrderedDict[str, FeedEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, alert: Alert) -> None:
        self.seq += 1
        key = alert.alert_id
        if alert.kind == "alert_retracted":
            target = self._entries.get(alert.retracts or "")
            if target is not None:  # strike the retracted alert through, where it stands
                key, alert = target.alert.alert_id, target.alert
            retracted = True
        else:  # raised (again, possibly after a retraction: it stands again)
            retracted = False
        self._entries[key] = FeedEntry(alert, retracted, self.seq)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """Entries changed after ``seq``, newest alert first (by ``created_at``)."""
        changed = [e for e in self._entries.values() if e.seq > seq]
        changed.sort(key=lambda e: (e.alert.created_at, e.seq), reverse=True)
        return [e.to_json() for e in changed]

    def add_raw(self, raw: bytes | None) -> bool:
        """Add one record of the alerts topic; False (and skipped) when it is not a ``form4.alert/1``."""
        if raw is None:
            return False
        try:
            alert = Alert.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("alert feed: skipped a record that is not a form4.alert/1: %s", exc)
            return False
        self.add(alert)
        return True


async def follow_alerts(settings: Settings, feed: AlertFeed) -> None:
    """Fill ``feed`` from the alerts topic until cancelled; reconnects while the broker is away."""
    topic = settings.topic_alerts
    resume: dict[TopicPartition, int] = {}
    while True:
        consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=None, enable_auto_commit=False)
        try:
            await consumer.start()
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await consumer._client.force_metadata_update()  # noqa: SLF001 - first fetch is lazy
                partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                raise LookupError(f"topic {topic} has no partitions (yet)")
            consumer.assign(tps)
            begin = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            for tp in tps:
                # After a reconnect, carry on where we were; at start, the tail of each partition.
                consumer.seek(tp, resume.get(tp, max(begin[tp], end[tp] - feed.capacity)))
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                for tp, records in batch.items():
                    for record in records:
                        feed.add_raw(record.value)
                        resume[tp] = record.offset + 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the page keeps what it has; we try again shortly
            log.warning("alert feed: %s: %r; retrying in %ss", topic, exc, RETRY_SECONDS)
        finally:
            await consumer.stop()
        await asyncio.sleep(RETRY_SECONDS)


__all__ = ["AlertFeed", "FeedEntry", "edgar_url", "follow_alerts"]
