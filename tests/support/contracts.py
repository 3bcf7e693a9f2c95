"""Contract checks for tests: every record a test sees can be validated against the committed schema."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from streams.domain.schemas import load, resolve


@cache
def validator(name: str) -> Draft202012Validator:
    """A Draft 2020-12 validator of the committed schema ``name`` (formats such as date-time checked)."""
    schema = load(resolve(name).name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def validate(name: str, record: dict[str, Any]) -> None:
    """Fail with every violation listed when ``record`` breaks the contract ``name``.

    ``name`` is a short name (``transaction``, ``alert``, ``dead_letter``, ``position``) or a wire id such as
    ``form4.alert/1``.
    """
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:20]]
        raise AssertionError(f"record breaks {resolve(name).wire_id}:\n" + "\n".join(lines))


def validate_all(name: str, records: list[dict[str, Any]]) -> None:
    """:func:`validate` each record."""
    for record in records:
        validate(name, record)
