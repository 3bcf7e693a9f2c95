"""How the worker's tables encode their values on the changelog topics and in RocksDB (Faust codecs).

Each ledger table holds one record type of :mod:`streams.domain.state`; its codec is that record's
wire encoding (``to_wire`` / ``from_wire``), registered with Faust under ``form4_state_<table>``.
``seen`` holds an int offset, and every table's keys are strings: those use :class:`RightSizedJson`,
Faust's ``json`` with its bytes right-sized.

:mod:`streams.worker.tables` sets each table's ``value_serializer`` to :func:`serializer_for` its
name, so the changelog and the RocksDB store hold our wire bytes and the tables hand out records.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

from faust.serializers import codecs
from faust.types.codecs import CodecT

from streams.domain.state import (
    AlertState,
    DaySales,
    FilingMeta,
    GroupState,
    InsiderHistory,
    IssuerAlerts,
    Position,
)
from streams.domain.wire import right_sized


class _WireRecord(Protocol):
    def to_wire(self) -> bytes: ...

    @classmethod
    def from_wire(cls, data: bytes) -> Self: ...


STATE_RECORDS: dict[str, type[_WireRecord]] = {
    "filings": FilingMeta,
    "groups": GroupState,
    "positions": Position,
    "sales": DaySales,
    "issuer_alerts": IssuerAlerts,
    "alerts": AlertState,
    "insiders": InsiderHistory,
}
"""Ledger table name -> the record type its values are."""

JSON = "form4_json"
"""Faust's ``json`` (the same bytes), right-sized: every table's keys and the values of ``seen``."""

TABLE_SERIALIZERS: dict[str, str] = {table: f"form4_state_{table}" for table in STATE_RECORDS}
"""Table name -> Faust value serializer; tables not listed (``seen``) use :data:`JSON`."""


class RightSizedJson(codecs.json):
    """Faust's ``json`` codec, byte for byte (orjson with Faust's options), with right-sized bytes."""

    def _dumps(self, s: Any) -> bytes:
        return right_sized(super()._dumps(s))


class StateCodec(codecs.Codec):
    """A table's values as their record's wire encoding."""

    def __init__(self, children: tuple[CodecT, ...] | None = None, *, table: str) -> None:
        # ``table`` is kept in kwargs so Faust's clone() (codec chaining) rebuilds the same codec.
        super().__init__(children, table=table)
        self.record = STATE_RECORDS[table]

    def _dumps(self, obj: Any) -> bytes:
        if not isinstance(obj, self.record):
            raise TypeError(f"{self.kwargs['table']} holds {self.record.__name__}, not {type(obj).__name__}")
        return obj.to_wire()

    def _loads(self, s: bytes) -> Any:
        return self.record.from_wire(s)


def register_state_codecs() -> None:
    """Register our codecs with Faust before any table is created (idempotent)."""
    codecs.register(JSON, RightSizedJson())
    for table, name in TABLE_SERIALIZERS.items():
        codecs.register(name, StateCodec(table=table))


def serializer_for(table: str) -> str:
    """The Faust codec name of ``table``'s values."""
    return TABLE_SERIALIZERS.get(table, JSON)


__all__ = [
    "JSON",
    "STATE_RECORDS",
    "TABLE_SERIALIZERS",
    "StateCodec",
    "RightSizedJson",
    "register_state_codecs",
    "serializer_for",
]
