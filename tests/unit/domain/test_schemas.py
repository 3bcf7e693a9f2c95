"""The committed JSON Schemas: in sync with the models, and what the pipeline writes validates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from parsers import parse, to_events
from streams.cli import main
from streams.config.settings import Settings
from streams.domain.offline import replay
from streams.domain.records import DeadLetter
from streams.domain.schemas import CONTRACTS, SCHEMA_DIR, generate, render, resolve
from tests.support.contracts import validate
from tests.support.sales import ceo_sale_xml

FIXTURES = Path(__file__).parents[2] / "fixtures" / "filings"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_committed_schema_equals_a_fresh_one(name: str) -> None:
    """Each committed schema file is exactly what the generator writes from the models today."""
    path = SCHEMA_DIR / CONTRACTS[name].file_name
    assert path.exists(), (
        f"{path.name} is missing: run `python -m streams.domain.schemas` and commit the result"
    )
    assert path.read_text(encoding="utf-8") == render(name), (
        f"{path.name} drifted from the pydantic models: "
        "run `python -m streams.domain.schemas` and commit the result"
    )


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_schema_is_valid_draft_2020_12_with_id_and_title(name: str) -> None:
    """Each schema is a valid Draft 2020-12 schema carrying its $id and wire id as title."""
    schema = generate(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(CONTRACTS[name].wire_id)
    assert schema["title"] == CONTRACTS[name].wire_id
    assert schema["properties"]["schema"]["const"] == CONTRACTS[name].wire_id


def test_decimals_are_strings_in_the_schema() -> None:
    """Decimal fields are typed as JSON strings with a numeric pattern, never as numbers."""
    shares = generate("transaction")["properties"]["shares"]["anyOf"]
    assert {"type": "null"} in shares
    string = next(s for s in shares if s.get("type") == "string")
    assert string["pattern"]
    assert all(s.get("type") != "number" for s in shares)


def test_parsed_fixture_events_validate() -> None:
    """Every event of a parsed fixture filing validates against form4.transaction/1."""
    events = to_events(parse((FIXTURES / "form4_rich.xml").read_bytes()))
    assert events
    for event in events:
        validate("transaction", orjson.loads(event.to_json()))


def test_alerts_from_the_ledger_validate() -> None:
    """Alerts the ledger raises for a large CEO sale validate against form4.alert/1."""
    alerts = replay([("sale", ceo_sale_xml())], Settings()).alerts
    assert alerts
    for alert in alerts:
        validate("alert", orjson.loads(alert.to_json()))


def test_dead_letter_validates_and_a_broken_record_does_not() -> None:
    """A dead letter validates; a record with a number where a string belongs is rejected."""
    letter = DeadLetter(
        reason="bad_encoding",
        error="not UTF-8",
        source_topic="form4.filings.raw",
        source_partition=0,
        source_offset=7,
        original_b64=DeadLetter.encode_original(b"\xff"),
        original_size=1,
        failed_at=datetime.now(UTC),
    )
    record = orjson.loads(letter.to_json())
    validate("dead_letter", record)
    with pytest.raises(AssertionError, match="source_offset"):
        validate("dead_letter", record | {"source_offset": "seven"})
    event = orjson.loads(to_events(parse((FIXTURES / "form4_rich.xml").read_bytes()))[0].to_json())
    with pytest.raises(AssertionError, match="shares"):
        validate("transaction", event | {"shares": 500})


def test_names_resolve_by_short_name_wire_id_and_file() -> None:
    """A contract is found by short name, wire id, file name or $id; an unknown name lists the valid ones."""
    alert = CONTRACTS["alert"]
    for name in ("alert", "form4.alert/1", "form4.alert.v1.json", "form4.alert.v1", alert.schema_id):
        assert resolve(name) is alert
    with pytest.raises(KeyError, match="transaction"):
        resolve("nope")


def test_schema_command_prints_the_committed_file() -> None:
    """`form4 schema dead_letter` prints the committed schema; an unknown name exits 2."""
    runner = CliRunner()
    result = runner.invoke(main, ["schema", "form4.dead_letter/1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "form4.dead_letter/1"
    assert runner.invoke(main, ["schema", "nope"]).exit_code == 2


def test_published_schemas_accept_added_fields_while_the_models_stay_strict() -> None:
    """Fields are only added within a version: a consumer validating with today's schema accepts a record
    from a later release with a field it does not know; inside, the model still refuses unknown fields."""
    events = to_events(parse((FIXTURES / "form4_rich.xml").read_bytes()))
    record = orjson.loads(events[0].to_json())
    later = record | {"a_field_added_later": 1, "issuer": record["issuer"] | {"lei": "X"}}
    validate("transaction", later)
    with pytest.raises(ValueError, match="a_field_added_later"):
        type(events[0]).model_validate(later)
    for name in CONTRACTS:
        assert '"additionalProperties": false' not in render(name), name
