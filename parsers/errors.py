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
]

REASONS: tuple[Reason, ...] = (
    "not_ownership_form",
    "malformed_xml",
    "missing_required_field",
    "unsupported_format",
    "too_large",
    "bad_encoding",
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


__all__ = [
    "REASONS",
    "BadEncoding",
    "MalformedXml",
    "MissingRequiredField",
    "NotOwnershipForm",
    "ParseError",
    "Reason",
    "TooLarge",
    "UnsupportedFormat",
]
