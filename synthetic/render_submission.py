"""Render a :class:`Filing` as an EDGAR complete-submission text file (``0001234567-24-000123.txt``).

The SGML header carries what the XML does not: accession number, acceptance date-time (Eastern
time, as EDGAR writes it) and filing date. The ownership XML follows inside ``<XML>...</XML>``.
"""

from __future__ import annotations

import zlib

from parsers.models import Address, Filing
from synthetic.generator import NEW_YORK
from synthetic.render_xml import render_xml_text


def _address(lines: list[str], title: str, address: Address | None, phone: str | None) -> None:
    if address is None:
        return
    lines += ["", f"\t{title}:\t"]
    for label, value in (
        ("STREET 1", address.street1),
        ("STREET 2", address.street2),
        ("CITY", address.city),
        ("STATE", address.state),
        ("ZIP", address.zip_code),
    ):
        if value:
            tabs = "\t\t\t" if label in ("CITY", "STATE", "ZIP") else "\t\t"
            lines.append(f"\t\t{label}:{tabs}{value}")
    if phone:
        lines.append(f"\t\tBUSINESS PHONE:\t\t{phone}")


def _film(accession: str, i: int) -> str:
    # A stable pseudo film number: derived from the accession so the output stays deterministic.
    return f"{(zlib.crc32(accession.encode()) % 90_000_000) + 10_000_000 + i}"


def render_submission(filing: Filing) -> bytes:
    """The complete submission: SEC-HEADER, REPORTING-OWNER and ISSUER blocks, then the XML document."""
    accession = filing.accession_number or "0000000000-00-000000"
    filed_at = filing.filed_at.astimezone(NEW_YORK) if filing.filed_at else None
    filed = filing.filing_date or (filed_at.date() if filed_at else None)
    stamp = filed.strftime("%Y%m%d") if filed else ""
    lines = [
        f"<SEC-DOCUMENT>{accession}.txt : {stamp}",
        f"<SEC-HEADER>{accession}.hdr.sgml : {stamp}",
    ]
    if filed_at:
        lines.append(f"<ACCEPTANCE-DATETIME>{filed_at:%Y%m%d%H%M%S}")
    lines += [
        f"ACCESSION NUMBER:\t\t{accession}",
        f"CONFORMED SUBMISSION TYPE:\t{filing.form_type}",
        "PUBLIC DOCUMENT COUNT:\t\t1",
    ]
    if filing.period_of_report:
        lines.append(f"CONFORMED PERIOD OF REPORT:\t{filing.period_of_report:%Y%m%d}")
    lines += [f"FILED AS OF DATE:\t\t{stamp}", f"DATE AS OF CHANGE:\t\t{stamp}"]
    for i, owner in enumerate(filing.owners):
        lines += [
            "",
            "REPORTING-OWNER:\t",
            "",
            "\tOWNER DATA:\t",
            f"\t\tCOMPANY CONFORMED NAME:\t\t\t{owner.name}",
            f"\t\tCENTRAL INDEX KEY:\t\t\t{owner.cik}",
            "",
            "\tFILING VALUES:",
            f"\t\tFORM TYPE:\t\t{filing.form_type}",
            "\t\tSEC ACT:\t\t1934 Act",
            f"\t\tSEC FILE NUMBER:\t000-{int(filing.issuer.cik or 0) % 100_000:05d}",
            f"\t\tFILM NUMBER:\t\t{_film(accession, i)}",
        ]
        _address(lines, "MAIL ADDRESS", owner.address, None)
    issuer = filing.issuer
    lines += [
        "",
        "ISSUER:\t\t",
        "",
        "\tCOMPANY DATA:\t",
        f"\t\tCOMPANY CONFORMED NAME:\t\t\t{issuer.name or ''}",
        f"\t\tCENTRAL INDEX KEY:\t\t\t{issuer.cik}",
        "\t\tSTATE OF INCORPORATION:\t\t\tDE",
    ]
    lines += [
        "</SEC-HEADER>",
        "<DOCUMENT>",
        f"<TYPE>{filing.form_type}",
        "<SEQUENCE>1",
        f"<FILENAME>form{filing.form_type.replace('/', '')}_{accession.replace('-', '')}.xml",
        "<DESCRIPTION>OWNERSHIP DOCUMENT",
        "<TEXT>",
        "<XML>",
        '<?xml version="1.0"?>',
        render_xml_text(filing).rstrip("\n"),
        "</XML>",
        "</TEXT>",
        "</DOCUMENT>",
        "</SEC-DOCUMENT>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


__all__ = ["render_submission"]
