"""The ``rocksdb://`` store (issue 12, goal 2): Faust's RocksDB store, every database of one worker under
one memory budget (a shared block cache, memtables charged to it)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import orjson
import pytest
import rocksdict
from faust.types import TP
from prometheus_client import CollectorRegistry

from streams.worker.app import create_app, faust_app
from streams.worker.disk_store import MEMORY_OPTION, BudgetOptions, BudgetStore, Memory
from streams.worker.tables import TABLE_NAMES, cheap_len, create_tables
from tests.unit.worker.fakes import message, unit_settings
from tests.unit.worker.test_state_codecs import _records, _stores

MIB = 1 << 20


def changelog_event(topic: str, key: str, value: bytes | None, partition: int, offset: int) -> Any:
    # Faust writes a table's str keys JSON-encoded on the changelog, and the RocksDB store keeps them so.
    raw = message(value, topic=topic, key=orjson.dumps(key), offset=offset, partition=partition)
    raw.tp = TP(topic, partition)
    return SimpleNamespace(key=key, value=None, message=raw)


def test_every_table_of_a_worker_shares_one_budget(tmp_path: Path) -> None:
    settings = unit_settings(store="rocksdb://", data_dir=tmp_path, rocksdb_memory_mb=32)
    app = faust_app(settings)
    tables = create_tables(app, settings)
    stores: list[Any] = [cast(Any, app.tables[name]).data for name in TABLE_NAMES]
    assert all(isinstance(store, BudgetStore) for store in stores)
    memories = {id(store.rocksdb_options.memory) for store in stores}
    assert len(memories) == 1, "one cache and one write-buffer manager for the whole worker"
    memory = stores[0].rocksdb_options.memory
    assert memory.budget_bytes == 32 * MIB and memory.write_buffers.get_buffer_size() == 16 * MIB
    assert cast(Any, tables.ledger.positions).data is stores[TABLE_NAMES.index("positions")]
    assert tables.disk_memory is memory, "served as form4_rocksdb_memory_bytes"


def test_a_table_recovers_records_onto_disk_and_reads_them_back(tmp_path: Path) -> None:
    settings = unit_settings(store="rocksdb://", data_dir=tmp_path)
    app = faust_app(settings)
    table: Any = create_tables(app, settings).ledger.positions
    topic = f"{settings.app_id}-positions-changelog"
    records = _records(_stores(), "positions")
    batch = [changelog_event(topic, f"k{i}", r.to_wire(), 0, i) for i, r in enumerate(records)]
    batch.append(changelog_event(topic, "k0", None, 0, len(records)))  # a tombstone
    table.data.apply_changelog_batch(batch, to_key=lambda k: k, to_value=lambda v: v)
    assert table.get("k0") is None
    assert [table[f"k{i}"] for i in range(1, len(records))] == records[1:]
    assert any(tmp_path.rglob("CURRENT")), "the table's partition database is on disk"
    assert table.data.persisted_offset(TP(topic, 0)) == len(records), "the applied offset kept with it"
    # The positions gauge: RocksDB's estimate over the partitions this worker owns, not a key scan.
    owned = {TP(topic, 0)}
    app.assignor.assigned_actives = lambda: owned
    assert table.data.estimated_len() == cheap_len(table)
    assert len(records) - 2 <= cheap_len(table) <= len(records) + 2, "about the keys held"
    owned = set()
    assert cheap_len(table) == 0, "partitions of other workers are not counted"


def test_the_budget_holds_however_much_is_written(tmp_path: Path) -> None:
    """Eight databases written 8 MiB each, then read back: the shared cache stays within its budget."""
    memory = Memory.of(16)
    options = BudgetOptions(memory)
    dbs = [options.open(tmp_path / f"db{n}") for n in range(8)]
    value = bytes(range(256)) * 4  # 1 KiB, not compressible to nothing
    for n, db in enumerate(dbs):
        for i in range(8 * 1024):
            db[f"{n}-{i:06d}".encode()] = value
        assert memory.usage_bytes() <= memory.budget_bytes
    for n, db in enumerate(dbs):
        assert all(db[f"{n}-{i:06d}".encode()] == value for i in range(0, 8 * 1024, 97))
        assert memory.usage_bytes() <= memory.budget_bytes
    assert memory.write_buffers.get_usage() <= memory.budget_bytes // 2
    for db in dbs:
        db.close()
    reopened = options.open(tmp_path / "db3")
    assert reopened[b"3-000042"] == value, "what was written is on disk"
    reopened.close()


def test_the_store_says_what_is_missing_without_its_memory(tmp_path: Path) -> None:
    settings = unit_settings(store="rocksdb://", data_dir=tmp_path)
    app = faust_app(settings)
    table = app.Table("loose", default=None, key_type=str)
    with pytest.raises(ValueError, match=MEMORY_OPTION):
        BudgetStore("rocksdb://", app, table, options=None)
    assert isinstance(Memory.of(8).cache, rocksdict.Cache)


def test_the_worker_serves_rocksdb_memory_against_its_budget(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    worker = create_app(unit_settings(store="rocksdb://", data_dir=tmp_path, rocksdb_memory_mb=16), registry)
    memory = worker.tables.disk_memory
    assert memory is not None and memory.budget_bytes == 16 * MIB
    db = BudgetOptions(memory).open(tmp_path / "extra")
    for i in range(20_000):
        db[f"{i:08d}".encode()] = bytes(200)
    served = registry.get_sample_value("form4_rocksdb_memory_bytes")
    assert served is not None and 0 < served <= memory.budget_bytes
    db.close()


def test_without_rocksdb_the_gauge_stays_at_zero() -> None:
    registry = CollectorRegistry()
    worker = create_app(unit_settings(store="memory://"), registry)
    assert worker.tables.disk_memory is None
    assert registry.get_sample_value("form4_rocksdb_memory_bytes") == 0
