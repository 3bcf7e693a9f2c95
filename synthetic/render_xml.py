"""Render a :class:`Filing` as an EDGAR ``ownershipDocument`` (X0306/X0407/X0508 style).

Element order follows the ownership XSDs; every value sits in a ``<value>`` wrapper followed by its
``<footnoteId id="Fn"/>`` references, and a footnote-only field has the reference alone (cm(8)).
Built with plain string joins: it is the hot path of batch generation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from parsers.models import Filing, ReportingOwner, Row

_I1, _I2, _I3, _I4, _I5 = ("    " * i for i in range(1, 6))


def fmt_decimal(value: Decimal) -> str:
    """Plain notation, never an exponent (``Decimal('1E+3')`` -> ``1000``)."""
    text = format(value, "f")
    return text


class _Doc:
    """One rendering: the output lines, the footnote ids and the boolean spelling of this filing."""

    def __init__(self, filing: Filing) -> None:
        self.out: list[str] = []
        self.ids = {text: fid for fid, text in filing.footnotes.items()}
        # Real filings spell booleans both ways; vary it per filing, deterministically.
        digits = "".join(ch for ch in filing.accession_number or "0" if ch.isdigit())
        self.true, self.false = ("true", "false") if int(digits[-1]) % 2 else ("1", "0")

    def line(self, indent: str, text: str) -> None:
        self.out.append(indent + text)

    def flag(self, value: bool | None) -> str:
        return self.true if value else self.false

    def refs(self, row: Row, field: str, indent: str) -> None:
        for text in row.footnotes.get(field, ()):
            self.line(indent, f'<footnoteId id="{self.ids[text]}"/>')

    def valued(self, tag: str, value: object, row: Row, field: str, indent: str) -> None:
        """``<tag><value>v</value><footnoteId/>*</tag>``; the value is left out when it is ``None``."""
        self.line(indent, f"<{tag}>")
        if value is not None:
            self.line(indent + _I1, f"<value>{_text(value)}</value>")
        self.refs(row, field, indent + _I1)
        self.line(indent, f"</{tag}>")


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return fmt_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    return escape(str(value))


def _owner(doc: _Doc, owner: ReportingOwner) -> None:
    doc.line(_I1, "<reportingOwner>")
    doc.line(_I2, "<reportingOwnerId>")
    doc.line(_I3, f"<rptOwnerCik>{owner.cik}</rptOwnerCik>")
    doc.line(_I3, f"<rptOwnerName>{escape(owner.name)}</rptOwnerName>")
    doc.line(_I2, "</reportingOwnerId>")
    if owner.address is not None:
        a = owner.address
        doc.line(_I2, "<reportingOwnerAddress>")
        for tag, value in (
            ("Street1", a.street1),
            ("Street2", a.street2),
            ("City", a.city),
            ("State", a.state),
            ("ZipCode", a.zip_code),
            ("StateDescription", a.state_description),
        ):
            doc.line(_I3, f"<rptOwner{tag}>{escape(value or '')}</rptOwner{tag}>")
        doc.line(_I2, "</reportingOwnerAddress>")
    doc.line(_I2, "<reportingOwnerRelationship>")
    doc.line(_I3, f"<isDirector>{doc.flag(owner.is_director)}</isDirector>")
    doc.line(_I3, f"<isOfficer>{doc.flag(owner.is_officer)}</isOfficer>")
    doc.line(_I3, f"<isTenPercentOwner>{doc.flag(owner.is_ten_percent_owner)}</isTenPercentOwner>")
    doc.line(_I3, f"<isOther>{doc.flag(owner.is_other)}</isOther>")
    if owner.officer_title:
        doc.line(_I3, f"<officerTitle>{escape(owner.officer_title)}</officerTitle>")
    if owner.other_text:
        doc.line(_I3, f"<otherText>{escape(owner.other_text)}</otherText>")
    doc.line(_I2, "</reportingOwnerRelationship>")
    doc.line(_I1, "</reportingOwner>")


def _coding(doc: _Doc, row: Row) -> None:
    doc.line(_I3, "<transactionCoding>")
    doc.line(_I4, f"<transactionFormType>{row.transaction_form_type or '4'}</transactionFormType>")
    doc.line(_I4, f"<transactionCode>{row.transaction_code}</transactionCode>")
    doc.line(_I4, f"<equitySwapInvolved>{doc.flag(row.equity_swap)}</equitySwapInvolved>")
    doc.refs(row, "transaction_code", _I4)
    doc.line(_I3, "</transactionCoding>")
    if row.timeliness or row.footnotes.get("timeliness"):
        doc.valued("transactionTimeliness", row.timeliness, row, "timeliness", _I3)
    elif row.index % 2 == 0:
        # Many filers write an empty timeliness element for an on-time line.
        doc.line(_I3, "<transactionTimeliness>")
        doc.line(_I4, "<value></value>")
        doc.line(_I3, "</transactionTimeliness>")


def _amounts(doc: _Doc, row: Row) -> None:
    doc.line(_I3, "<transactionAmounts>")
    if row.total_value is not None:
        doc.valued("transactionTotalValue", row.total_value, row, "total_value", _I4)
    else:
        doc.valued("transactionShares", row.shares, row, "shares", _I4)
    doc.valued("transactionPricePerShare", row.price_per_share, row, "price_per_share", _I4)
    doc.valued("transactionAcquiredDisposedCode", row.acquired_disposed, row, "acquired_disposed", _I4)
    doc.line(_I3, "</transactionAmounts>")


def _post_and_nature(doc: _Doc, row: Row) -> None:
    if (
        row.shares_owned_following is None
        and row.value_owned_following is None
        and not row.footnotes.get("shares_owned_following")
    ):
        # Form 3 derivative holdings: the underlying amount is the holding, no post-transaction amounts.
        _nature(doc, row)
        return
    doc.line(_I3, "<postTransactionAmounts>")
    if row.value_owned_following is not None:
        doc.valued(
            "valueOwnedFollowingTransaction", row.value_owned_following, row, "value_owned_following", _I4
        )
    else:
        doc.valued(
            "sharesOwnedFollowingTransaction", row.shares_owned_following, row, "shares_owned_following", _I4
        )
    doc.line(_I3, "</postTransactionAmounts>")
    _nature(doc, row)


def _nature(doc: _Doc, row: Row) -> None:
    doc.line(_I3, "<ownershipNature>")
    doc.valued("directOrIndirectOwnership", row.direct_indirect, row, "direct_indirect", _I4)
    if row.nature_of_ownership or row.footnotes.get("nature_of_ownership"):
        doc.valued("natureOfOwnership", row.nature_of_ownership, row, "nature_of_ownership", _I4)
    doc.line(_I3, "</ownershipNature>")


def _row(doc: _Doc, row: Row) -> None:
    derivative = row.table == "derivative"
    tag = ("derivative" if derivative else "nonDerivative") + ("Holding" if row.is_holding else "Transaction")
    doc.line(_I2, f"<{tag}>")
    doc.valued("securityTitle", row.security_title, row, "security_title", _I3)
    if derivative:
        doc.valued(
            "conversionOrExercisePrice",
            row.conversion_or_exercise_price,
            row,
            "conversion_or_exercise_price",
            _I3,
        )
    if not row.is_holding:
        doc.valued("transactionDate", row.transaction_date, row, "transaction_date", _I3)
        if row.deemed_execution_date or row.footnotes.get("deemed_execution_date"):
            doc.valued("deemedExecutionDate", row.deemed_execution_date, row, "deemed_execution_date", _I3)
        _coding(doc, row)
        _amounts(doc, row)
    if derivative:
        doc.valued("exerciseDate", row.exercise_date, row, "exercise_date", _I3)
        doc.valued("expirationDate", row.expiration_date, row, "expiration_date", _I3)
        doc.line(_I3, "<underlyingSecurity>")
        doc.valued(
            "underlyingSecurityTitle", row.underlying_security_title, row, "underlying_security_title", _I4
        )
        if row.underlying_value is not None or row.footnotes.get("underlying_value"):
            doc.valued("underlyingSecurityValue", row.underlying_value, row, "underlying_value", _I4)
        else:
            doc.valued("underlyingSecurityShares", row.underlying_shares, row, "underlying_shares", _I4)
        doc.line(_I3, "</underlyingSecurity>")
    _post_and_nature(doc, row)
    doc.line(_I2, f"</{tag}>")


def _table(doc: _Doc, tag: str, rows: Iterable[Row]) -> None:
    rows = list(rows)
    if not rows:
        return
    doc.line(_I1, f"<{tag}>")
    for row in rows:
        _row(doc, row)
    doc.line(_I1, f"</{tag}>")


def render_xml_text(filing: Filing) -> str:
    """The ownership document as text (no XML declaration: the submission wraps it as is)."""
    doc = _Doc(filing)
    doc.line("", "<ownershipDocument>")
    if filing.schema_version:
        doc.line(_I1, f"<schemaVersion>{filing.schema_version}</schemaVersion>")
    doc.line(_I1, f"<documentType>{filing.form_type}</documentType>")
    doc.line(_I1, f"<periodOfReport>{filing.period_of_report}</periodOfReport>")
    if filing.date_of_original_submission:
        doc.line(
            _I1, f"<dateOfOriginalSubmission>{filing.date_of_original_submission}</dateOfOriginalSubmission>"
        )
    if filing.not_subject_to_section16 is not None:
        doc.line(
            _I1, f"<notSubjectToSection16>{doc.flag(filing.not_subject_to_section16)}</notSubjectToSection16>"
        )
    if filing.no_securities_owned is not None:
        doc.line(_I1, f"<noSecuritiesOwned>{doc.flag(filing.no_securities_owned)}</noSecuritiesOwned>")
    if filing.form_type.startswith("5"):
        doc.line(_I1, f"<form3HoldingsReported>{doc.false}</form3HoldingsReported>")
        doc.line(_I1, f"<form4TransactionsReported>{doc.false}</form4TransactionsReported>")
    issuer = filing.issuer
    doc.line(_I1, "<issuer>")
    doc.line(_I2, f"<issuerCik>{issuer.cik}</issuerCik>")
    if issuer.name is not None:
        doc.line(_I2, f"<issuerName>{escape(issuer.name)}</issuerName>")
    doc.line(_I2, f"<issuerTradingSymbol>{escape(issuer.ticker or 'NONE')}</issuerTradingSymbol>")
    doc.line(_I1, "</issuer>")
    for owner in filing.owners:
        _owner(doc, owner)
    if filing.aff10b5_one is not None:
        doc.line(_I1, f"<aff10b5One>{doc.flag(filing.aff10b5_one)}</aff10b5One>")
    _table(doc, "nonDerivativeTable", (r for r in filing.rows if r.table == "non_derivative"))
    _table(doc, "derivativeTable", (r for r in filing.rows if r.table == "derivative"))
    if filing.footnotes:
        doc.line(_I1, "<footnotes>")
        for fid, text in filing.footnotes.items():
            doc.line(_I2, f'<footnote id="{fid}">{escape(text)}</footnote>')
        doc.line(_I1, "</footnotes>")
    if filing.remarks:
        doc.line(_I1, f"<remarks>{escape(filing.remarks)}</remarks>")
    for sig in filing.signatures:
        doc.line(_I1, "<ownerSignature>")
        doc.line(_I2, f"<signatureName>{escape(sig.name)}</signatureName>")
        doc.line(_I2, f"<signatureDate>{sig.date}</signatureDate>")
        doc.line(_I1, "</ownerSignature>")
    doc.line("", "</ownershipDocument>")
    return "\n".join(doc.out) + "\n"


def render_xml(filing: Filing) -> bytes:
    """The standalone ownership XML document, as EDGAR serves ``form4.xml``."""
    return ('<?xml version="1.0"?>\n' + render_xml_text(filing)).encode("utf-8")


__all__ = ["fmt_decimal", "render_xml", "render_xml_text"]
