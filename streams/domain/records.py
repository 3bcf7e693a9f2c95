"""Wire records of the streaming side (pydantic, frozen). Bytes on every topic; decode in the agent.

Public contracts, versioned by their ``schema`` field:

* ``form4.transaction/1`` (``parsers.events.TransactionEvent``) on ``form4.transactions``;
* ``form4.alert/1`` (:class:`Alert`, with ``kind`` ``alert_raised`` or ``alert_retracted``) on
  ``form4.alerts``;
* ``form4.dead_letter/1`` (:class:`DeadLetter`) on ``form4.dlq``.

:class:`ParsedFiling` is internal (``form4.filings.parsed``): one filing's events in one message, so
the positions agent applies a filing atomically.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from parsers.events import TransactionEvent
from parsers.models import FormType
from streams.config.vocabulary import SEVERITIES, Rule, Severity

ALERT_SCHEMA: Final = "form4.alert/1"
DEAD_LETTER_SCHEMA: Final = "form4.dead_letter/1"
PARSED_SCHEMA: Final = "form4.parsed_filing/1"
WEBHOOK_DEAD_LETTER_SCHEMA: Final = "form4.webhook_dead_letter/1"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


class DeadLetter(_Record):
    """A message the pipeline could not process, with everything needed to replay it."""

    schema_: Literal["form4.dead_letter/1"] = Field(DEAD_LETTER_SCHEMA, alias="schema")
    reason: str
    """A ``parsers.errors.REASONS`` code, or ``decode_error`` for a record that is not valid JSON."""
    error: str
    where: str | None = None
    source_topic: str
    source_partition: int
    source_offset: int
    source_key: str | None = None
    original_b64: str
    """The original message value, base64: replay it after a fix with ``form4 push``."""
    original_size: int
    failed_at: datetime

    @staticmethod
    def encode_original(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)


class ParsedFiling(_Record):
    """Internal: one parsed filing and its events, keyed by issuer on ``form4.filings.parsed``."""

    schema_: Literal["form4.parsed_filing/1"] = Field(PARSED_SCHEMA, alias="schema")
    filing_id: str
    issuer_key: str
    form_type: FormType
    period_of_report: date | None
    date_of_original_submission: date | None
    filing_date: date | None
    filed_at: datetime | None
    source_timestamp_ms: int | None = None
    """Kafka timestamp of the raw message: the start of the latency clock."""
    events: tuple[TransactionEvent, ...]


class AlertOwner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cik: str | None
    name: str
    role: str
    """Human role: CEO, CFO, President, Director, 10% owner, officer title or Other."""


class AlertFigures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    shares: Decimal | None = None
    value_usd: Decimal | None = None
    pct_of_holding_sold: Decimal | None = None
    """Percent (0-100) of the pre-sale holding sold, where the filing shows the holding."""
    holding_before: Decimal | None = None
    holding_after: Decimal | None = None
    window_days: int | None = None
    window_start: date | None = None
    window_end: date | None = None
    window_sold_shares: Decimal | None = None
    window_sold_value_usd: Decimal | None = None
    cluster_members: tuple[str, ...] = ()


class Alert(_Record):
    """``form4.alert/1``: an alert raised, or the retraction of one raised earlier."""

    schema_: Literal["form4.alert/1"] = Field(ALERT_SCHEMA, alias="schema")
    kind: Literal["alert_raised", "alert_retracted"] = "alert_raised"
    alert_id: str
    """Stable: the same trigger always gives the same id, whatever the delivery order."""
    retracts: str | None = None
    """On ``alert_retracted``: the ``alert_id`` of the alert that no longer holds."""
    rule: Rule
    severity: Severity
    issuer_cik: str
    issuer_name: str | None
    ticker: str | None
    owners: tuple[AlertOwner, ...]
    accession_numbers: tuple[str, ...]
    event_ids: tuple[str, ...]
    plan_10b5_1: bool | None = None
    figures: AlertFigures
    summary: str
    created_at: datetime


__all__ = [
    "ALERT_SCHEMA",
    "DEAD_LETTER_SCHEMA",
    "PARSED_SCHEMA",
    "SEVERITIES",
    "Alert",
    "AlertFigures",
    "AlertOwner",
    "DeadLetter",
    "ParsedFiling",
    "Rule",
    "Severity",
]


class WebhookDeadLetter(_Record):
    """``form4.webhook_dead_letter/1``: an alert one subscriber never accepted; replay it from here."""

    schema_: Literal["form4.webhook_dead_letter/1"] = Field(WEBHOOK_DEAD_LETTER_SCHEMA, alias="schema")
    alert_id: str
    subscriber: str
    url: str
    attempts: int
    last_error: str
    last_status: int | None
    alert: dict[str, Any]
    """The ``form4.alert/1`` record as it was on the alerts topic."""
    failed_at: datetime
