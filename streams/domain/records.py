"""Wire records of the streaming side (pydantic, frozen). Bytes on every topic; decode in the agent.

Public contracts, versioned by their ``schema`` field:

* ``form4.transaction/1`` (``parsers.events.TransactionEvent``) on ``form4.transactions``;
* ``form4.alert/1`` (:class:`Alert`, with ``kind`` ``alert_raised`` or ``alert_retracted``) on
  ``form4.alerts``;
* ``form4.dead_letter/1`` (:class:`DeadLetter`) on ``form4.dlq``;
* ``form4.position/1`` (:class:`PositionRecord`): one position as ``/positions``, ``form4 positions
  --json`` and ``form4 replay --positions`` report it.

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
from parsers.models import DirectIndirect, FormType, TableName
from streams.config.vocabulary import SEVERITIES, Rule, Severity, Trader

ALERT_SCHEMA: Final = "form4.alert/1"
DEAD_LETTER_SCHEMA: Final = "form4.dead_letter/1"
PARSED_SCHEMA: Final = "form4.parsed_filing/1"
POSITION_SCHEMA: Final = "form4.position/1"
WEBHOOK_DEAD_LETTER_SCHEMA: Final = "form4.webhook_dead_letter/1"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


class DeadLetter(_Record):
    """A message the pipeline could not process, with everything needed to replay it."""

    schema_: Literal["form4.dead_letter/1"] = Field(DEAD_LETTER_SCHEMA, alias="schema")
    reason: str
    """A ``parsers.errors.REASONS`` code, ``decode_error`` for a record that is not valid JSON, or
    ``processing_error`` for one that made an agent fail ``FORM4_MAX_RECORD_ATTEMPTS`` times."""
    error: str
    where: str | None = None
    stage: Literal["parse", "positions", "webhooks"] | None = None
    """On ``processing_error``: the agent that failed (issue 13)."""
    exception: str | None = None
    """On ``processing_error``: the exception's type, ``ZeroDivisionError`` or ``decimal.Overflow``."""
    attempts: int | None = None
    """On ``processing_error``: how many times the record was tried."""
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
    fingerprint: str | None = None
    """``parsers.identity.fingerprint``: the same for every format of one filing, so the ledger
    applies a filing once whichever copies of it arrive (``None`` from producers before it existed)."""
    remarks: str | None = None
    """The filing's remarks (issue 10: an amendment names its original or says what it restates)."""


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
    # Issue 11.
    history_days: int | None = None
    """first_purchase: days of the insider's history seen before the purchase (the depth behind "first")."""
    business_days_late: int | None = None
    """late_filing: business days after the deadline."""


class AlertEvidence(BaseModel):
    """One footnote that decided a plan, lateness or exercise judgement of an alert (issue 11)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    decides: Literal["plan", "lateness", "exercise"]
    field: str
    """The ``form4.transaction/1`` field the footnote is attached to."""
    footnote: str


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
    # Issue 11: context. Additions to form4.alert/1 (null/empty from producers before them).
    trader: Trader | None = None
    """Cohen-Malloy-Pomorski from the history seen: ``routine`` traded in the same month in each of the
    prior years, ``opportunistic`` did not, ``unknown`` when the history is shorter; null on clusters."""
    history_start: date | None = None
    """The earliest day of the insider's history seen: the depth behind ``trader`` and ``first_purchase``."""
    late: bool | None = None
    """Any of the alert's trades filed after its deadline."""
    filing_lag_business_days: int | None = None
    """The longest filing lag among the alert's trades, in US federal business days."""
    stale: bool = False
    """Trades filed more than ``FORM4_STALE_TRADE_DAYS`` after they were made: old news, never upgraded."""
    plan_cooling_off_breach: bool | None = None
    """A plan trade inside the plan's cooling-off period (no plan downgrade then)."""
    transaction_dates: tuple[date, ...] = ()
    filing_dates: tuple[date, ...] = ()
    edgar_urls: tuple[str, ...] = ()
    """The filings on EDGAR (index pages), for the accession numbers known."""
    net_change_shares: Decimal | None = None
    """The net change of the holder's whole reported stake over the alert's filings (group alerts)."""
    evidence: tuple[AlertEvidence, ...] = ()
    # Issue 10: amendments. Additions to form4.alert/1.
    retracted_by: str | None = None
    """On ``alert_retracted``: the filing (accession number or ``sha256-`` id) whose arrival made the
    alert no longer hold, usually the amendment that restated its figures."""
    amends_unseen_original: bool = False
    """Raised from an amendment whose original filing was never seen: one severity step lower, and
    retracted for the alert of the amended original once that arrives."""

    @property
    def subject(self) -> str:
        """The id of the alert this record is about (its own, or the one it retracts): its Kafka key.

        One alert can be raised, retracted and raised again as filings arrive (a better copy of a
        filing, an amendment, history that changes an insider's classification); keyed by it, all of
        its records land in one partition, in order, so the last one says whether it stands.
        """
        return self.retracts or self.alert_id


__all__ = [
    "ALERT_SCHEMA",
    "DEAD_LETTER_SCHEMA",
    "PARSED_SCHEMA",
    "POSITION_SCHEMA",
    "SEVERITIES",
    "Alert",
    "AlertEvidence",
    "AlertFigures",
    "AlertOwner",
    "DeadLetter",
    "ParsedFiling",
    "PositionBreak",
    "PositionFlow",
    "PositionGap",
    "PositionHolder",
    "PositionIssuer",
    "PositionOwner",
    "PositionRecord",
    "Rule",
    "Severity",
    "Trader",
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


# --- form4.position/1 (issue 9) ---------------------------------------------------------------


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PositionIssuer(_Part):
    cik: str
    """The issuer's CIK; renderings without one key the issuer ``ticker:...`` or ``name:...``."""
    ticker: str | None
    name: str | None


class PositionOwner(_Part):
    cik: str | None
    name: str


class PositionHolder(_Part):
    kind: Literal["owner", "group"]
    """``owner``: one reporting owner. ``group``: the joint filers of a filing together, for rows the
    filing does not attribute to one of them (each row is counted once, for the group)."""
    key: str
    owners: tuple[PositionOwner, ...]


class PositionFlow(_Part):
    """Net flows over ``days`` days of transaction dates, ``start`` to ``end`` (the reference day)."""

    days: int
    start: date
    end: date
    acquired_shares: Decimal
    """In the position's units: shares (Table I) or derivative units such as contracts (Table II)."""
    disposed_shares: Decimal
    net_shares: Decimal
    bought_value_usd: Decimal | None
    """Table I only: open-market and private purchases (code P), shares x price."""
    sold_value_usd: Decimal | None
    """Table I only: open-market and private sales (code S), shares x price."""
    net_underlying_shares: Decimal | None
    """Table II only: the net flow as shares of the underlying security."""


class PositionBreak(_Part):
    """A reported holding that does not follow from the prior one +/- the shares traded."""

    event_id: str
    expected: Decimal
    reported: Decimal


class PositionGap(_Part):
    """A change of the reported holding across ``since``..``until`` with no filing seen (not a break)."""

    event_id: str
    since: date
    until: date
    expected: Decimal
    reported: Decimal


class PositionRecord(_Record):
    """``form4.position/1``: one holding of one holder in one issuer, as reported and as of a day."""

    schema_: Literal["form4.position/1"] = Field(POSITION_SCHEMA, alias="schema")
    key: str
    """``issuer | holder | security | ownership``: stable, the key of the positions table."""
    issuer: PositionIssuer
    holder: PositionHolder
    security_title: str | None
    security: str
    """The security as keyed (its title as ``streams.domain.keys.security_title_key`` words it); for a
    derivative, its series: ``title@price~exercisable~expiration``."""
    table: TableName
    direct_indirect: DirectIndirect | None
    nature_of_ownership: str | None
    vehicle: str | None
    """The footnote text that names the holding's vehicle, if any: an indirect one (the trust, the fund),
    or a direct line the filer sets apart (an IRA, a deferred compensation plan)."""
    shares: Decimal | None
    """The latest reported amount held; for a derivative without one, its underlying amount."""
    value_owned: Decimal | None
    """The latest reported value held, for securities reported by value instead of shares."""
    underlying_shares: Decimal | None
    """Table II: the latest reported amount as shares of the underlying security."""
    as_of: date | None
    """The day of the latest reported figure (transaction date, else period of report)."""
    last_transaction_date: date | None
    flows_as_of: date
    """The reference day of ``flows``: the day asked for, by default today."""
    flows: tuple[PositionFlow, ...]
    """Rolling 30, 90 and 365-day windows ending on ``flows_as_of``."""
    last_event_id: str | None
    """The ``form4.transaction/1`` event of the latest row (by transaction date)."""
    breaks: tuple[PositionBreak, ...]
    gaps: tuple[PositionGap, ...]
    row_count: int
