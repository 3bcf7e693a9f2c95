"""Every topic, declared once. Values are bytes (``value_serializer="raw"``): records are decoded
in the agents with pydantic, never by Faust (pydantic models are not Faust ``value_type``s)."""

from __future__ import annotations

from streams.config.settings import get_settings
from streams.worker.app import app

_s = get_settings()


def _topic(name: str):  # type: ignore[no-untyped-def]
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=_s.topic_partitions,
    )


raw_filings = _topic(_s.topic_raw)
parsed_filings = _topic(_s.topic_parsed)
transactions = _topic(_s.topic_transactions)
alerts = _topic(_s.topic_alerts)
dead_letters = _topic(_s.topic_dlq)
