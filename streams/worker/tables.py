"""Every table of the worker, declared once per app. Keys are strings; values use the codec
:mod:`streams.worker.state_codecs` names for each table.

``seen`` is co-partitioned with ``form4.filings.raw``; the ledger tables with
``form4.filings.parsed`` (keyed by issuer), so one issuer's state lives in one partition.
"""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass
from typing import Any, cast

import faust
from faust.tables.base import Collection
from faust.types import TableT

from streams.config.settings import Settings
from streams.domain.ledger import Stores
from streams.worker import compact_store, disk_store
from streams.worker.state_codecs import JSON, register_state_codecs, serializer_for

TABLE_NAMES = (
    "seen",
    "filings",
    "groups",
    "positions",
    "sales",
    "issuer_alerts",
    "alerts",
    "aliases",
    "insiders",
)

_HELP = {
    "seen": "filing id -> first raw offset, fingerprint:<hash> -> best copy: filings already parsed",
    "filings": "filing id -> applied filing (rows, status, amendment group)",
    "groups": "amendment group -> member filings and their alerts",
    "positions": "issuer|owner|security|ownership -> position",
    "sales": "issuer|date -> open-market sales of that day",
    "issuer_alerts": "issuer -> cluster alert ids by window start",
    "alerts": "alert id -> alert record and whether it stands",
    "aliases": "content fingerprint -> id of the copy of that filing applied",
    "insiders": "issuer|insider -> the insider's rows and insider-level alerts (issue 11)",
}


def cheap_len(table: Sized) -> int:
    """``len(table)``, or on disk RocksDB's estimate of it (``len`` there reads every key)."""
    store = getattr(table, "data", None)
    if isinstance(store, disk_store.BudgetStore):
        return store.estimated_len()
    return len(table)


def changelog_topics(app_id: str) -> list[str]:
    """Faust's changelog topic names of our tables (``<app id>-<table>-changelog``)."""
    return [f"{app_id}-{name}-changelog" for name in TABLE_NAMES]


@dataclass(frozen=True)
class Tables:
    """The ``seen`` table of parse_filings and the ledger's stores of track_positions."""

    seen: TableT[str, Any]
    ledger: Stores
    disk_memory: disk_store.Memory | None = None
    """With ``rocksdb://``: the memory budget every table's databases share."""


def create_tables(app: faust.App, settings: Settings) -> Tables:
    """Declare every table of :data:`TABLE_NAMES` on ``app``."""
    # Our codecs must be known to Faust before a table names one of them; our store before its URL.
    register_state_codecs()
    compact_store.register()
    disk_store.register()
    # On disk, every table's databases share one memory budget (streams.worker.disk_store).
    memory = disk_store.Memory.of(settings.rocksdb_memory_mb) if settings.store == "rocksdb://" else None
    options = {disk_store.MEMORY_OPTION: memory} if memory else None
    tables: dict[str, TableT[str, Any]] = {}
    for name in TABLE_NAMES:
        table = app.Table(
            name,
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            help=_HELP[name],
            options=options,
        )
        # Faust 0.15 takes a table's codecs only from Faust Model types, and ours are not: set them
        # before the store (built lazily) reads them, and build the changelog topic again with them (the
        # constructor built one with "json"; the table manager knows it by name only).
        collection = cast(Collection, table)
        collection.key_serializer = JSON
        collection.value_serializer = serializer_for(name)
        collection.changelog_topic = collection._new_changelog_topic()
        tables[name] = table
    return Tables(
        seen=tables["seen"],
        ledger=Stores(
            filings=tables["filings"],
            groups=tables["groups"],
            positions=tables["positions"],
            sales=tables["sales"],
            issuer_alerts=tables["issuer_alerts"],
            alerts=tables["alerts"],
            aliases=tables["aliases"],
            insiders=tables["insiders"],
        ),
        disk_memory=memory,
    )


__all__ = ["TABLE_NAMES", "Tables", "changelog_topics", "cheap_len", "create_tables"]
