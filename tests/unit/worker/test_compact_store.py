"""The ``compact://`` store (issue 12, goal 2): values held as compressed changelog bytes, read as records."""

from __future__ import annotations

import zlib
from types import SimpleNamespace
from typing import Any

from streams.worker.app import faust_app
from streams.worker.compact_store import CompactStore, EncodedValues
from streams.worker.tables import create_tables
from tests.unit.worker.fakes import message, unit_settings
from tests.unit.worker.test_state_codecs import _records, _stores


def changelog_event(key: str, value: bytes | None, partition: int) -> Any:
    changelog = "form4-stream-positions-changelog"
    raw = message(value, topic=changelog, key=key.encode(), offset=0, partition=partition)
    # Faust's recovery hands the decoded key; the store takes the value from the message, as bytes.
    return SimpleNamespace(key=key, value=None, message=raw)


def test_a_table_on_the_compact_store_holds_bytes_and_hands_out_records() -> None:
    settings = unit_settings(store="compact://")
    app = faust_app(settings)
    tables = create_tables(app, settings)
    table: Any = tables.ledger.positions
    store = table.data
    assert isinstance(store, CompactStore)
    records = _records(_stores(), "positions")
    for i, record in enumerate(records):
        store[f"k{i}"] = record  # what a table write does, less its changelog record (needs a stream)
    assert isinstance(store.data, EncodedValues)
    raw = store.data.raw
    assert all(isinstance(v, bytes) for v in raw.values()), "no objects held"
    assert zlib.decompress(raw["k0"]) == records[0].to_wire(), "the changelog's bytes, compressed"
    assert len(raw["k0"]) < len(records[0].to_wire())
    assert [table[f"k{i}"] for i in range(len(records))] == records
    assert table.get("missing") is None and "k0" in table and len(table) == len(records)
    assert dict(table.items()) == {f"k{i}": r for i, r in enumerate(records)}
    del store["k0"]
    assert "k0" not in table and table.get("k0") is None
    # The seen table keeps Faust's json codec: bytes too, values as they were written.
    seen: Any = tables.seen
    seen.data["0001-24-000001"] = 42
    assert zlib.decompress(seen.data.data.raw["0001-24-000001"]) == b"42" and seen["0001-24-000001"] == 42


def test_recovery_stores_the_changelog_bytes_and_applies_deletes() -> None:
    settings = unit_settings(store="compact://")
    app = faust_app(settings)
    table: Any = create_tables(app, settings).ledger.positions
    records = _records(_stores(), "positions")
    batch = [
        changelog_event("a", records[0].to_wire(), 0),
        changelog_event("b", records[1].to_wire(), 1),
        changelog_event("a", None, 0),  # a tombstone
        changelog_event("c", records[0].to_wire(), 2),
    ]
    table.apply_changelog_batch(batch)
    store = table.data
    assert sorted(store.data.raw) == ["b", "c"]
    assert table["b"] == records[1] and table["c"] == records[0]
    assert store._key_partition == {"b": 1, "c": 2}, "keys of partitions not assigned are dropped later"


def test_encoded_values_refuse_a_value_their_codec_encodes_as_nothing() -> None:
    values = EncodedValues(lambda v: None, bytes)
    try:
        values["k"] = object()
    except TypeError as exc:
        assert "'k'" in str(exc)
    else:
        raise AssertionError("a value encoded as nothing was stored")
