"""How the worker's tables encode their values on the changelog topics (Faust codecs).

``TABLE_SERIALIZERS`` maps a table name to the Faust ``value_serializer`` its values use;
:func:`register_state_codecs` registers any codec of ours with Faust (idempotent).
"""

from __future__ import annotations

TABLE_SERIALIZERS: dict[str, str] = {}
"""Table name -> Faust value serializer; tables not listed use Faust's ``json``."""


def register_state_codecs() -> None:
    """Register our codecs with Faust before any table is created (none yet: all tables are JSON)."""


def serializer_for(table: str) -> str:
    return TABLE_SERIALIZERS.get(table, "json")


__all__ = ["TABLE_SERIALIZERS", "register_state_codecs", "serializer_for"]
