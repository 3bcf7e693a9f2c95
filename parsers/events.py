"""The public transaction event, schema ``form4.transaction/1``: one per Table I/II row.

This is a published contract (see ``streams/schemas/``): fields are only ever added, never renamed
or re-typed, within version 1. Decimals serialise as JSON strings and dates as ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal

from pydantic import ConfigDict, Field

from parsers.deadlines import cooling_off_breach, filing_day, lateness
from parsers.models import (
    AcquiredDisposed,
    DirectIndirect,
    Filing,
    FormType,
    Frozen,
    Row,
    SourceFormat,
    TableName,
    Timeliness,
)

TRANSACTION_SCHEMA: Final = "form4.transaction/1"


class EventIssuer(Frozen):
    cik: str
    name: str | None
    ticker: str | None


class EventOwner(Frozen):
    cik: str | None
    name: str
    is_director: bool
    is_officer: bool
    is_ten_percent_owner: bool
    is_other: bool
    officer_title: str | None


class TransactionEvent(Frozen):
    """One row of one filing, flattened with the filing's context."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["form4.transaction/1"] = Field(TRANSACTION_SCHEMA, alias="schema")
    event_id: str
    """``<accession or sha256-hash>/<table>/<row index>``: stable across redeliveries."""
    accession_number: str | None
    filing_id: str
    """The accession number, or ``sha256-<hash>`` of the raw bytes when it is unknown."""
    form_type: FormType
    source_format: SourceFormat
    filed_at: datetime | None
    period_of_report: date | None
    date_of_original_submission: date | None
    aff10b5_one: bool | None
    issuer: EventIssuer
    owners: tuple[EventOwner, ...]
    table: TableName
    row: int
    is_holding: bool
    security_title: str | None
    transaction_date: date | None
    deemed_execution_date: date | None
    transaction_code: str | None
    transaction_form_type: str | None
    equity_swap: bool | None
    timeliness: Timeliness | None
    shares: Decimal | None
    total_value: Decimal | None
    price_per_share: Decimal | None
    acquired_disposed: AcquiredDisposed | None
    shares_owned_following: Decimal | None
    value_owned_following: Decimal | None
    direct_indirect: DirectIndirect | None
    nature_of_ownership: str | None
    conversion_or_exercise_price: Decimal | None
    exercise_date: date | None
    expiration_date: date | None
    underlying_security_title: str | None
    underlying_shares: Decimal | None
    underlying_value: Decimal | None
    footnotes: dict[str, tuple[str, ...]]
    plan_10b5_1: bool | None
    plan_adoption_date: date | None
    derived_fields: tuple[str, ...]
    # Issue 11: deadlines and plan checks (parsers.deadlines), additions to form4.transaction/1.
    filing_date: date | None = None
    """EDGAR's filing date (submission header, else the acceptance time); null for a bare XML document."""
    late: bool | None = None
    """Filed after its deadline (Form 4: two business days after the trade or deemed execution date);
    null when it cannot be told (no filing date, a Form 4 holding)."""
    filing_lag_business_days: int | None = None
    """US federal business days from the trade (deemed execution date, or period of report for Form 3
    and Form 5 lines) to the filing date."""
    filing_due_date: date | None = None
    plan_cooling_off_breach: bool | None = None
    """A 10b5-1 plan trade inside the plan's cooling-off period (adopted 2023-02-27 or later: 90 days for
    directors and officers, 30 for others); null when not a plan trade or the adoption date is unknown."""

    def to_json(self) -> bytes:
        """The wire form: ``schema`` key, decimals as strings, ISO dates."""
        return self.model_dump_json(by_alias=True).encode()


_ROW_FIELDS = tuple(name for name in Row.model_fields if name not in {"table", "index", "is_holding"})


def event_id(filing: Filing, row: Row) -> str:
    return f"{filing.filing_id}/{row.table}/{row.index}"


def to_events(filing: Filing) -> list[TransactionEvent]:
    """Flatten a filing into one event per row, in table then row order."""
    issuer = EventIssuer(cik=filing.issuer.cik, name=filing.issuer.name, ticker=filing.issuer.ticker)
    owners = tuple(
        EventOwner(
            cik=o.cik,
            name=o.name,
            is_director=o.is_director,
            is_officer=o.is_officer,
            is_ten_percent_owner=o.is_ten_percent_owner,
            is_other=o.is_other,
            officer_title=o.officer_title,
        )
        for o in filing.owners
    )
    filed = filing_day(filing.filing_date, filing.filed_at)
    # An amendment restates the original: its rows are as late as the filing they amend.
    clock_filed = (filing.date_of_original_submission if filing.is_amendment else None) or filed
    insider = any(o.is_director or o.is_officer for o in filing.owners)
    events = []
    for row in filing.rows:
        late, lag, due = lateness(
            filing.form_type,
            is_holding=row.is_holding,
            transaction_date=row.transaction_date,
            deemed_execution_date=row.deemed_execution_date,
            period_of_report=filing.period_of_report,
            transaction_form_type=row.transaction_form_type,
            timeliness=row.timeliness,
            filed=clock_filed,
        )
        breach = cooling_off_breach(
            row.plan_10b5_1, row.plan_adoption_date, row.transaction_date, director_or_officer=insider
        )
        events.append(
            TransactionEvent(
                event_id=event_id(filing, row),
                accession_number=filing.accession_number,
                filing_id=filing.filing_id,
                form_type=filing.form_type,
                source_format=filing.source_format,
                filed_at=filing.filed_at,
                period_of_report=filing.period_of_report,
                date_of_original_submission=filing.date_of_original_submission,
                aff10b5_one=filing.aff10b5_one,
                issuer=issuer,
                owners=owners,
                table=row.table,
                row=row.index,
                is_holding=row.is_holding,
                **{name: getattr(row, name) for name in _ROW_FIELDS},
                filing_date=filed,
                late=late,
                filing_lag_business_days=lag,
                filing_due_date=due,
                plan_cooling_off_breach=breach,
            )
        )
    return events


__all__ = ["TRANSACTION_SCHEMA", "EventIssuer", "EventOwner", "TransactionEvent", "event_id", "to_events"]
