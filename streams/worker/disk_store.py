"""The ``rocksdb://`` table store: Faust's RocksDB store under one memory budget for the whole worker.

Issue 12, goal 2: a multi-year backfill's state (millions of positions) must not live in the worker's
memory. Faust's RocksDB store keeps it on disk, but opens one database per table partition (9 tables x
the partitions it owns: 36 with 4 partitions) and gives each its own memtables (up to 3 x 64 MiB) and
its own 2 GiB block cache, so its memory grows with the number of databases and the data written, not
with a limit anyone chose. Here every database of the worker shares one LRU block cache of
``FORM4_ROCKSDB_MEMORY_MB``, and one write-buffer manager charges their memtables to that cache (half of
it at most), with index and filter blocks held in it too: RocksDB's memory is one number, whatever the
partitions and however large the state.

Everything else is Faust's RocksDB store (rocksdict): state on disk in ``FORM4_DATA_DIR``, the
changelog offsets it has applied kept with it, so a restart reads only the changelogs' tail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rocksdict
from faust.stores import STORES
from faust.stores import rocksdb as faust_rocksdb

SCHEME = "rocksdb"

MEMORY_OPTION = "form4_rocksdb_memory"
"""The table option (``app.Table(options=...)``) that hands every store of an app its :class:`Memory`."""

MIB = 1 << 20

WRITE_BUFFER_BYTES = 4 * MIB
"""One database's memtable before it is flushed: the shared manager flushes earlier when the memtables of
all databases together pass their share of the budget."""


@dataclass(frozen=True)
class Memory:
    """The cache and write-buffer manager every RocksDB database of one worker shares."""

    budget_bytes: int
    cache: rocksdict.Cache
    write_buffers: rocksdict.WriteBufferManager

    @classmethod
    def of(cls, budget_mb: int) -> Memory:
        budget = budget_mb * MIB
        cache = rocksdict.Cache(budget)
        # Memtables are charged to the cache (they evict blocks rather than add to the total); stalling
        # writers is left off: a flush is triggered instead, and the agents must not block on RocksDB.
        write_buffers = rocksdict.WriteBufferManager.new_write_buffer_manager_with_cache(
            budget // 2, False, cache
        )
        return cls(budget_bytes=budget, cache=cache, write_buffers=write_buffers)

    def usage_bytes(self) -> int:
        """Bytes the block cache holds now (data, index and filter blocks, and the memtables' charge)."""
        return int(self.cache.get_usage())


class BudgetOptions(faust_rocksdb.RocksDBOptions):
    """Faust's options for one database, with the shared cache and write-buffer manager."""

    def __init__(self, memory: Memory, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.memory = memory

    def as_options(self) -> rocksdict.Options:
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        if self.max_open_files is not None:
            options.set_max_open_files(self.max_open_files)
        options.set_write_buffer_size(min(WRITE_BUFFER_BYTES, self.memory.budget_bytes // 8))
        options.set_max_write_buffer_number(2)
        options.set_target_file_size_base(self.target_file_size_base)
        options.set_write_buffer_manager(self.memory.write_buffers)
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, True)
        table.set_block_cache(self.memory.cache)
        # Index and filter blocks in the cache, counted in the budget (else each open file holds its own).
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(table)
        return options

    def open(self, path: Path, *, read_only: bool = False) -> rocksdict.Rdict:
        """Open the database at ``path`` (Faust's ``open`` builds its options twice; once is enough)."""
        options = self.as_options()
        options.set_db_paths([rocksdict.DBPath(str(path), self.target_file_size_base)])
        access = (
            rocksdict.AccessType.read_write() if self.ttl is None else rocksdict.AccessType.with_ttl(self.ttl)
        )
        db = rocksdict.Rdict(str(path), options=options, access_type=access)
        db.set_read_options(rocksdict.ReadOptions())
        return db


class BudgetStore(faust_rocksdb.Store):
    """Faust's RocksDB store (rocksdict driver) opening its databases with :class:`BudgetOptions`."""

    def __init__(self, *args: Any, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        memory = (options or {}).get(MEMORY_OPTION)
        if not isinstance(memory, Memory):
            raise ValueError(
                f"the rocksdb:// store needs the table option {MEMORY_OPTION!r} (a disk_store.Memory); "
                "tables are declared by streams.worker.tables.create_tables"
            )
        # Faust pops "read_only" and "driver" from the mapping it is given and passes the rest to its
        # options: give it a copy without ours (a second store of the same table reads the original).
        rest = {key: value for key, value in (options or {}).items() if key != MEMORY_OPTION}
        super().__init__(*args, options=rest, driver="rocksdict", **kwargs)
        self.rocksdb_options = BudgetOptions(memory, **rest)

    def estimated_len(self) -> int:
        """RocksDB's estimate of the keys of the partitions this worker owns, read in microseconds.

        ``len()`` reads every key (seconds at millions); the estimate counts a key overwritten since the
        last compaction more than once.
        """
        return sum(
            int(db.property_int_value("rocksdb.estimate-num-keys") or 0) for db in self._dbs_for_actives()
        )


def register() -> None:
    """Make ``rocksdb://`` open :class:`BudgetStore` (idempotent)."""
    STORES.aliases[SCHEME] = f"{__name__}:BudgetStore"


__all__ = ["MEMORY_OPTION", "SCHEME", "BudgetOptions", "BudgetStore", "Memory", "register"]
