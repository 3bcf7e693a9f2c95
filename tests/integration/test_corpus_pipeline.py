"""The whole real corpus through the live worker: same events as `form4 parse`, same positions and
alerts as the offline ledger, and the same answer when pushed twice or shuffled."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import orjson
import pytest

from parsers import ParseError
from streams.adapters.producer import accession_of, iter_files
from streams.config.settings import Settings
from streams.domain.offline import replay
from streams.domain.parsed import parsed_filing
from streams.domain.state import Position
from streams.domain.views import public_position
from tests.support.alerts import repeats, standing_ids
from tests.support.contracts import validate_all
from tests.support.worker import WorkerProcess

AS_OF = date(2026, 1, 2)
"""A fixed reference day for rolling flows, so the live and offline answers compare on one day."""

CORPUS_DIRS = ("xml", "submission", "html", "text", "seed")


def corpus_files(corpus: Path) -> list[Path]:
    return list(iter_files([corpus / d for d in CORPUS_DIRS if (corpus / d).is_dir()]))


def keyed(files: list[Path]) -> list[tuple[bytes | None, bytes]]:
    out = []
    for path in files:
        raw = path.read_bytes()
        key = accession_of(raw, path.name)
        out.append((key.encode() if key else None, raw))
    return out


def parsed_copies(
    files: list[Path], settings: Settings
) -> dict[str, tuple[str, list[list[dict[str, object]]]]]:
    """Filing id -> (content fingerprint, the events of each copy as JSON), parsed as the parse agent does.

    Copies without an accession number share the fingerprint's id: any one of them may be the copy
    that came first and was published.
    """
    out: dict[str, tuple[str, list[list[dict[str, object]]]]] = {}
    for path in files:
        raw = path.read_bytes()
        try:
            record = parsed_filing(raw, settings, accession_of(raw, path.name))
        except ParseError:
            continue
        events = [orjson.loads(e.to_json()) for e in record.events]
        fp = record.fingerprint or record.filing_id
        out.setdefault(record.filing_id, (fp, []))[1].append(events)
    return out


def as_served(positions: Mapping[str, Position]) -> dict[str, object]:
    """Offline positions as the worker's web page serves them (through JSON)."""
    served = {k: public_position(k, p, AS_OF) for k, p in positions.items() if p}
    validate_all("position", list(served.values()))
    through_json: dict[str, object] = orjson.loads(orjson.dumps(served))
    return through_json


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    w = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=3)
    yield w
    w.stop()


@pytest.mark.slow
async def test_corpus_push_gives_parse_events_dead_letters_and_offline_positions(
    worker: WorkerProcess, corpus: Path
) -> None:
    """Every corpus file yields exactly `form4 parse`'s events or a dead letter with the parser's reason."""
    files = corpus_files(corpus)
    worker.start()
    await worker.push(keyed(files))
    await worker.drained()

    events = await worker.records(worker.settings.topic_transactions)
    validate_all("transaction", events)
    got = {e["event_id"]: e for e in events}
    assert len(events) == len(got), "an event was emitted twice"
    # One filing, one set of events: copies of a filing in other formats (same content fingerprint) are
    # published once, by whichever copy came first; that set is exactly what that copy parses to.
    copies = parsed_copies(files, worker.settings)
    live_by_filing: dict[str, list[dict[str, object]]] = {}
    for event in events:
        live_by_filing.setdefault(str(event["filing_id"]), []).append(event)
    ids_by_fingerprint: dict[str, list[str]] = {}
    for fid in live_by_filing:
        ids_by_fingerprint.setdefault(copies[fid][0], []).append(fid)
    assert set(ids_by_fingerprint) == {fp for fp, each in copies.values() if any(each)}, (
        "every parsed filing is published"
    )
    for fp, ids in ids_by_fingerprint.items():
        # Only two filings EDGAR numbered apart may share a content: then both are filings of their own.
        assert len(ids) == 1 or not any(i.startswith("sha256-") for i in ids), (fp, ids)
    for fid, live_events in live_by_filing.items():
        published = {e["event_id"]: e for e in live_events}
        candidates = [{e["event_id"]: e for e in events} for events in copies[fid][1]]
        assert published in candidates, f"{fid}: the events of no single copy"

    offline = replay(((str(p), p.read_bytes()) for p in files), worker.settings)
    letters = await worker.records(worker.settings.topic_dlq)
    validate_all("dead_letter", letters)
    assert sorted(d["reason"] for d in letters) == sorted(offline.failures.values())

    live = worker.positions(AS_OF)
    assert live == as_served(offline.stores.positions)
    alerts = await worker.records(worker.settings.topic_alerts)
    validate_all("alert", alerts)
    assert not repeats(alerts), "an alert raised twice in a row, or retracted when not standing"
    assert standing_ids(alerts) == offline.active_alert_ids


@pytest.mark.slow
async def test_corpus_pushed_twice_and_shuffled_gives_the_same_positions_and_alerts(
    worker: WorkerProcess, corpus: Path
) -> None:
    """Redelivery and arrival order change nothing: positions and standing alerts equal an in-order run."""
    files = corpus_files(corpus)
    shuffled = keyed(files)
    random.Random(7).shuffle(shuffled)
    worker.start()
    await worker.push(shuffled)
    await worker.push(list(reversed(shuffled)))
    await worker.drained()

    in_order = replay(((str(p), p.read_bytes()) for p in files), worker.settings)
    live = worker.positions(AS_OF)
    assert live == as_served(in_order.stores.positions)
    alerts = await worker.records(worker.settings.topic_alerts)
    # An alert may be retracted and raised again on the way (a text rendering first, its better copy
    # later), but never raised twice in a row, and what stands at the end is what an in-order run leaves.
    assert not repeats(alerts), "an alert raised twice in a row, or retracted when not standing"
    assert standing_ids(alerts) == in_order.active_alert_ids
    events = await worker.records(worker.settings.topic_transactions)
    assert len(events) == len({e["event_id"] for e in events}), "a re-pushed filing emitted events again"
