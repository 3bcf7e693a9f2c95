"""Domain models of one parsed ownership filing (Forms 3, 4, 5 and amendments).

Nothing of the source tree is left behind: every format (XML, complete-submission text, HTML,
plain text) parses into these frozen models. Amounts are ``Decimal`` and dates are ``date``; a value
that the filing gives only through a footnote is ``None`` with its footnote recorded, never 0.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

SourceFormat = Literal["xml", "submission", "html", "text"]
FormType = Literal["3", "3/A", "4", "4/A", "5", "5/A"]
TableName = Literal["non_derivative", "derivative"]
AcquiredDisposed = Literal["A", "D"]
DirectIndirect = Literal["D", "I"]
Timeliness = Literal["E", "L"]

FORM_TYPES: frozenset[str] = frozenset({"3", "3/A", "4", "4/A", "5", "5/A"})


class Frozen(BaseModel):
    """Base for every domain model: immutable, and no unknown fields slip in."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Issuer(Frozen):
    cik: str
    """Ten digits, zero-padded, or "" when the rendering does not carry it (HTML/text may not)."""
    name: str | None = None
    ticker: str | None = None
    """Upper-cased; placeholders such as "NONE" and "N/A" become ``None``."""


class Address(Frozen):
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    state_description: str | None = None


class ReportingOwner(Frozen):
    cik: str | None = None
    """Ten digits, zero-padded; ``None`` where a rendering does not carry it."""
    name: str
    address: Address | None = None
    is_director: bool = False
    is_officer: bool = False
    is_ten_percent_owner: bool = False
    is_other: bool = False
    officer_title: str | None = None
    other_text: str | None = None


_Date = date
"""Alias: inside ``Signature`` the field name ``date`` shadows the type when annotations are evaluated."""


class Signature(Frozen):
    name: str
    date: _Date | None = None


class Row(Frozen):
    """One row of Table I (non-derivative) or Table II (derivative): a transaction or a holding.

    ``footnotes`` maps a field name of this model (e.g. ``"price_per_share"``) to the texts of the
    footnotes attached to it, in filing order. ``derived_fields`` names the fields whose value the
    parser derived from the rest of the filing rather than read (plain-text renderings drop columns).
    """

    table: TableName
    index: int
    """Position of the row within its table, in document order, from 0."""
    is_holding: bool
    security_title: str | None = None
    transaction_date: date | None = None
    deemed_execution_date: date | None = None
    transaction_form_type: str | None = None
    transaction_code: str | None = None
    """The code as filed (P, S, M, ...). EDGAR's K and V suffixes live in ``equity_swap``/``timeliness``."""
    equity_swap: bool | None = None
    timeliness: Timeliness | None = None
    shares: Decimal | None = None
    total_value: Decimal | None = None
    """Derivative rows may report a total value instead of a share count."""
    price_per_share: Decimal | None = None
    acquired_disposed: AcquiredDisposed | None = None
    shares_owned_following: Decimal | None = None
    value_owned_following: Decimal | None = None
    direct_indirect: DirectIndirect | None = None
    nature_of_ownership: str | None = None
    conversion_or_exercise_price: Decimal | None = None
    exercise_date: date | None = None
    expiration_date: date | None = None
    underlying_security_title: str | None = None
    underlying_shares: Decimal | None = None
    underlying_value: Decimal | None = None
    footnotes: dict[str, tuple[str, ...]] = {}
    plan_10b5_1: bool | None = None
    """True when the 10b5-1 checkbox is set or a footnote of this row ties it to a plan."""
    plan_adoption_date: date | None = None
    derived_fields: tuple[str, ...] = ()


class Filing(Frozen):
    """One ownership filing, whatever format it came in."""

    source_format: SourceFormat
    form_type: FormType
    accession_number: str | None = None
    """``0001127602-15-028697`` form; ``None`` when the input does not carry it."""
    content_sha256: str
    """Hash of the raw bytes: identifies the filing when the accession number is unknown."""
    schema_version: str | None = None
    period_of_report: date | None = None
    date_of_original_submission: date | None = None
    filed_at: datetime | None = None
    """EDGAR acceptance date-time when known (submission header), else ``None``."""
    filing_date: date | None = None
    aff10b5_one: bool | None = None
    not_subject_to_section16: bool | None = None
    no_securities_owned: bool | None = None
    remarks: str | None = None
    issuer: Issuer
    owners: tuple[ReportingOwner, ...]
    rows: tuple[Row, ...] = ()
    footnotes: dict[str, str] = {}
    """Footnote id (``F1``) -> text, as filed."""
    signatures: tuple[Signature, ...] = ()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the content every format of this filing carries (``parsers.identity``)."""
        from parsers.identity import fingerprint  # identity reads these models: import on use

        return fingerprint(self)

    @property
    def filing_id(self) -> str:
        """Stable identity: the accession number, else ``sha256-`` and the content fingerprint.

        The fingerprint, not a hash of the bytes: the XML, HTML and text of one filing without an
        accession number, or its bytes with CRLF line endings, are one filing.
        """
        return self.accession_number or f"sha256-{self.fingerprint[:32]}"

    def with_accession(self, accession: str | None) -> Filing:
        """This filing with the accession number found outside its bytes (file name, Kafka key, URL).

        The document's own accession number wins; a value that is not an accession number is ignored.
        """
        from parsers.identity import normal_accession

        found = normal_accession(accession)
        if self.accession_number or found is None:
            return self
        return self.model_copy(update={"accession_number": found})

    @property
    def is_amendment(self) -> bool:
        return self.form_type.endswith("/A")


__all__ = [
    "SubmissionHeader",
    "FORM_TYPES",
    "AcquiredDisposed",
    "Address",
    "DirectIndirect",
    "Filing",
    "FormType",
    "Frozen",
    "Issuer",
    "ReportingOwner",
    "Row",
    "Signature",
    "SourceFormat",
    "TableName",
    "Timeliness",
]


class SubmissionHeader(Frozen):
    """What the SGML header of a complete submission says about it."""

    accession_number: str | None = None
    """``0001127602-15-028697`` form."""
    submission_type: str | None = None
    """``CONFORMED SUBMISSION TYPE`` (``4``, ``4/A``, ``10-K`` ...)."""
    filing_date: date | None = None
    """``FILED AS OF DATE``."""
    filed_at: datetime | None = None
    """``ACCEPTANCE-DATETIME``, time-zone aware (America/New_York)."""
