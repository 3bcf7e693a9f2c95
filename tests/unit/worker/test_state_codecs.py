"""The tables' codecs: each ledger table's records go through Faust as their wire encoding and back."""

from __future__ import annotations

import tracemalloc
from typing import Any

import orjson
import pytest
from faust.serializers import codecs

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.domain.wire import right_sized
from streams.worker.app import faust_app
from streams.worker.state_codecs import JSON, STATE_RECORDS, register_state_codecs, serializer_for
from streams.worker.tables import TABLE_NAMES, create_tables
from synthetic import scenarios as sc
from tests.unit.worker.fakes import unit_settings


def _stores() -> Stores:
    ledger = Ledger(Stores(), Settings())
    for f in [*sc.cluster_of_sales(), *sc.amended_smaller_sale()]:
        ledger.apply_now(to_parsed(f, to_events(f)))
    return ledger.s


def _records(stores: Stores, table: str) -> list[Any]:
    records = list(getattr(stores, table).values())
    assert records, f"the scenarios left {table} empty"
    return records


@pytest.mark.parametrize("table", sorted(STATE_RECORDS))
def test_a_tables_records_round_trip_through_its_faust_codec(table: str) -> None:
    register_state_codecs()
    name = serializer_for(table)
    for record in _records(_stores(), table):
        data = codecs.dumps(name, record)
        assert data == record.to_wire()
        assert codecs.loads(name, data) == record


def test_a_codec_refuses_a_record_of_another_table() -> None:
    """A position written to the alerts table is a bug: it fails on write, not on some later read."""
    register_state_codecs()
    position = _records(_stores(), "positions")[0]
    with pytest.raises(TypeError, match="alerts holds AlertState"):
        codecs.dumps(serializer_for("alerts"), position)


def test_worker_tables_encode_values_with_their_codec() -> None:
    """What a table's store and changelog do with a value: serialise with the table's codec, and back."""
    settings = unit_settings()
    app = faust_app(settings)
    tables = create_tables(app, settings)
    stores = _stores()
    by_name = {table.name: table for table in app.tables.values()}
    assert set(by_name) == set(TABLE_NAMES)
    assert by_name["seen"].value_serializer == JSON
    for faust_table in by_name.values():
        assert faust_table.key_serializer == JSON
        assert faust_table.changelog_topic.key_serializer == JSON
    for table in STATE_RECORDS:
        faust_table = by_name[table]
        assert faust_table.value_serializer == serializer_for(table)
        assert faust_table.changelog_topic.value_serializer == serializer_for(table)
        for record in _records(stores, table):
            data = app.serializers.dumps_value(None, record, serializer=faust_table.value_serializer)
            assert app.serializers.loads_value(None, data, serializer=faust_table.value_serializer) == record
    assert tables.ledger.positions is by_name["positions"]


def _allocated(make: Any) -> tuple[Any, int]:
    """What ``make()`` returns and the bytes allocated for it (still held)."""
    tracemalloc.start()
    try:
        made = make()
        return made, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("value", ["0000320193|0001214156", 1234, ["0001-26-000001", 3], {"a": [1, 2]}])
def test_keys_and_seen_values_are_fausts_json_byte_for_byte(value: Any) -> None:
    """Tables written by an earlier release (Faust's ``json``) read the same, and compact the same."""
    register_state_codecs()
    data = codecs.dumps(JSON, value)
    assert data == codecs.dumps("json", value) == orjson.dumps(value)
    assert codecs.loads(JSON, data) == value


def test_encoded_keys_and_records_cost_their_length_not_a_buffer() -> None:
    """Issue 12, goal 2: kept bytes cost about their length (orjson's own output is a 4 KiB buffer)."""
    register_state_codecs()
    key = "0000320193|0001214156|common stock|D"
    data, held = _allocated(lambda: codecs.dumps(JSON, key))
    assert data == orjson.dumps(key)
    assert held < len(data) + 128
    record = _records(_stores(), "positions")[0]
    wire, held = _allocated(record.to_wire)
    assert held < len(wire) + 128


@pytest.mark.parametrize("value", ["", "x", {"k": "v" * 5000}])
def test_right_sized_is_an_equal_copy(value: Any) -> None:
    # orjson's output is made inside the traced call: handed back as it is, it would hold 4 KiB or more.
    copy, held = _allocated(lambda: right_sized(orjson.dumps(value)))
    assert copy == orjson.dumps(value)
    assert held < len(copy) + 128
