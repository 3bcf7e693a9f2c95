"""Typed parse errors. Each carries a machine-readable reason code and the place it was found.

The streaming side turns these into dead letters (``form4.dead_letter/1``) keyed by ``reason``;
anything that is not a ``ParseError`` is a bug and must crash loudly.
"""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "not_ownership_form",
    "malformed_xml",
    "missing_required_field",
    "unsupported_format",
    "too_large",
    "bad_encoding",
    "implausible_value",
    "unparsed_rows",
]

REASONS: tuple[Reason, ...] = (
    "not_ownership_form",
    "malformed_xml",
    "missing_required_field",
    "unsupported_format",
    "too_large",
    "bad_encoding",
    "implausible_value",
    "unparsed_rows",
)


class ParseError(Exception):
    """A filing that cannot be parsed: bad input, never a bug.

    Args:
        reason: one of ``REASONS``.
        message: what was wrong, for a human.
        where: element path (``/ownershipDocument/issuer/issuerCik``) or ``line N``, when known.
    """

    reason: Reason = "unsupported_format"

    def __init__(self, message: str, *, where: str | None = None, reason: Reason | None = None) -> None:
        if reason is not None:
            self.reason = reason
        self.message = message
        self.where = where
        super().__init__(f"{self.reason}: {message}" + (f" (at {where})" if where else ""))


class NotOwnershipForm(ParseError):
    reason: Reason = "not_ownership_form"


class MalformedXml(ParseError):
    reason: Reason = "malformed_xml"


class MissingRequiredField(ParseError):
    reason: Reason = "missing_required_field"


class UnsupportedFormat(ParseError):
    reason: Reason = "unsupported_format"


class TooLarge(ParseError):
    reason: Reason = "too_large"


class BadEncoding(ParseError):
    reason: Reason = "bad_encoding"


class ImplausibleValue(ParseError):
    """An amount no real filing carries: negative, absurdly large, or a number whose text alone
    (digits, exponent) would make Decimal arithmetic blow up (bounds in ``parsers._values``)."""

    reason: Reason = "implausible_value"


class UnparsedRows(ParseError):
    """Table lines of a rendering that carry values no parsed row accounts for: reading on would
    silently lose rows, so the filing fails with the lines (``lines``) it could not read."""

    reason: Reason = "unparsed_rows"

    def __init__(self, message: str, lines: tuple[str, ...], *, where: str | None = None) -> None:
        self.lines = lines
        shown = "; ".join(line.strip() for line in lines[:6]) + (" ..." if len(lines) > 6 else "")
        super().__init__(f"{message}: {shown}" if lines else message, where=where)


__all__ = [
    "REASONS",
    "BadEncoding",
    "ImplausibleValue",
    "MalformedXml",
    "MissingRequiredField",
    "NotOwnershipForm",
    "ParseError",
    "Reason",
    "TooLarge",
    "UnparsedRows",
    "UnsupportedFormat",
]
