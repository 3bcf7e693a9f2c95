"""The tables' codecs: each ledger table's records go through Faust as their wire encoding and back."""

from __future__ import annotations

from typing import Any

import pytest
from faust.serializers import codecs

from parsers import to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed
from streams.worker.app import faust_app
from streams.worker.state_codecs import STATE_RECORDS, register_state_codecs, serializer_for
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
    assert by_name["seen"].value_serializer == "json"
    for table in STATE_RECORDS:
        faust_table = by_name[table]
        assert faust_table.value_serializer == serializer_for(table)
        assert faust_table.changelog_topic.value_serializer == serializer_for(table)
        for record in _records(stores, table):
            data = app.serializers.dumps_value(None, record, serializer=faust_table.value_serializer)
            assert app.serializers.loads_value(None, data, serializer=faust_table.value_serializer) == record
    assert tables.ledger.positions is by_name["positions"]
