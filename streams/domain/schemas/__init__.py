"""JSON Schemas of the public contracts, generated from the pydantic models.

The committed ``*.v1.json`` files next to this module are what consumers read; ``python -m
streams.domain.schemas`` regenerates them and ``tests/unit/test_schemas.py`` fails when they drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from parsers.events import TRANSACTION_SCHEMA, TransactionEvent
from streams.domain.records import (
    ALERT_SCHEMA,
    DEAD_LETTER_SCHEMA,
    POSITION_SCHEMA,
    WEBHOOK_DEAD_LETTER_SCHEMA,
    Alert,
    DeadLetter,
    PositionRecord,
    WebhookDeadLetter,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: What ``str(Decimal)`` can produce for the finite numbers we emit, exponent form included.
DECIMAL_PATTERN = r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
SCHEMA_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Contract:
    """One published record type: its short name, wire id (the ``schema`` field) and model."""

    name: str
    wire_id: str
    model: type[BaseModel]

    @property
    def file_name(self) -> str:
        # "form4.alert/1" -> "form4.alert.v1.json"
        base, version = self.wire_id.rsplit("/", 1)
        return f"{base}.v{version}.json"

    @property
    def schema_id(self) -> str:
        return f"urn:form4-stream:schema:{self.wire_id}"


CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        Contract("transaction", TRANSACTION_SCHEMA, TransactionEvent),
        Contract("alert", ALERT_SCHEMA, Alert),
        Contract("dead_letter", DEAD_LETTER_SCHEMA, DeadLetter),
        Contract("webhook_dead_letter", WEBHOOK_DEAD_LETTER_SCHEMA, WebhookDeadLetter),
        Contract("position", POSITION_SCHEMA, PositionRecord),
    )
}


class _WireSchema(GenerateJsonSchema):
    """Pydantic's serialization schema, tightened to what ``to_json()`` really writes."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        # Decimals are always JSON strings on the wire (never numbers: no float rounding).
        return {"type": "string", "pattern": DECIMAL_PATTERN}

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        # to_json() never excludes defaults or None: every field is always present on the wire.
        if self.mode == "serialization":
            return True
        return super().field_is_required(field, total)


def resolve(name: str) -> Contract:
    """The contract called ``name``: short name, wire id, file name or ``$id`` all work.

    Raises:
        KeyError: no contract has that name; the message lists the valid ones.
    """
    wanted = name.strip()
    for contract in CONTRACTS.values():
        if wanted in {
            contract.name,
            contract.wire_id,
            contract.file_name,
            contract.file_name[:-5],
            contract.schema_id,
        }:
            return contract
    raise KeyError(f"unknown schema {name!r}; one of: {', '.join(CONTRACTS)}")


def _open_to_additions(node: Any) -> Any:
    """Every object schema with ``additionalProperties: true``.

    Within a version fields are only ever added, so a consumer validating with the published schema must
    accept a field it does not know yet. The models stay strict inside (``extra="forbid"``): it is only the
    published promise to consumers that is open.
    """
    if isinstance(node, dict):
        out = {k: _open_to_additions(v) for k, v in node.items()}
        if out.get("additionalProperties") is False:
            out["additionalProperties"] = True
        return out
    if isinstance(node, list):
        return [_open_to_additions(v) for v in node]
    return node


def generate(name: str) -> dict[str, Any]:
    """A fresh JSON Schema (Draft 2020-12) of the contract ``name``."""
    contract = resolve(name)
    body = contract.model.model_json_schema(by_alias=True, mode="serialization", schema_generator=_WireSchema)
    head = {"$schema": DRAFT, "$id": contract.schema_id, "title": contract.wire_id}
    body.pop("title", None)
    opened: dict[str, Any] = _open_to_additions(head | body)
    return opened


def render(name: str) -> str:
    """The schema as committed: 2-space indented JSON with a final newline."""
    return json.dumps(generate(name), indent=2, ensure_ascii=False) + "\n"


def committed(name: str) -> str:
    """The committed schema file's text (from the installed package data)."""
    return resources.files(__name__).joinpath(resolve(name).file_name).read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """The committed schema, parsed."""
    loaded: dict[str, Any] = json.loads(committed(name))
    return loaded


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Regenerate every schema file in ``directory``; returns the paths written."""
    paths = []
    for name, contract in CONTRACTS.items():
        path = directory / contract.file_name
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


__all__ = [
    "CONTRACTS",
    "DECIMAL_PATTERN",
    "Contract",
    "committed",
    "generate",
    "load",
    "render",
    "resolve",
    "write_all",
]
