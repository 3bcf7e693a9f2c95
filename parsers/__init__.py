"""Pure parsing of SEC ownership filings: bytes in, typed models out.

No Kafka, no Faust, no network, no logging set-up. The one entry point is :func:`parse`;
:func:`to_events` flattens a parsed filing into ``form4.transaction/1`` events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from parsers._values import check_plausible
from parsers.detect import sniff
from parsers.errors import REASONS, ParseError, Reason, TooLarge
from parsers.events import TRANSACTION_SCHEMA, TransactionEvent, to_events
from parsers.models import Filing, Row, SourceFormat

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""Largest filing accepted by default; real Form 4 submissions are a few KB to a few hundred KB."""


def _parser(fmt: SourceFormat) -> Callable[..., Filing]:
    # Imported lazily so that a caller parsing only XML never pays for the HTML/text machinery.
    if fmt == "xml":
        from parsers.xml import parse_ownership_xml

        return parse_ownership_xml
    if fmt == "submission":
        from parsers.submission import parse_submission

        return parse_submission
    if fmt == "html":
        from parsers.html import parse_html

        return parse_html
    from parsers.text import parse_text

    return parse_text


def parse(content: bytes, *, hint: SourceFormat | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Filing:
    """Parse one raw filing.

    Args:
        content: the raw bytes, as filed or as rendered.
        hint: the format, when the caller knows it; otherwise it is sniffed from the bytes.
        max_bytes: inputs larger than this are rejected with reason ``too_large`` before any parsing.

    Raises:
        ParseError: with a ``reason`` code and, where known, the place of the problem.
    """
    if len(content) > max_bytes:
        raise TooLarge(f"{len(content)} bytes is over the {max_bytes}-byte limit")
    fmt = hint or sniff(content)
    sha256 = hashlib.sha256(content).hexdigest()
    filing = _parser(fmt)(content, sha256=sha256)
    check_plausible(filing.rows)
    return filing


__all__ = [
    "DEFAULT_MAX_BYTES",
    "REASONS",
    "TRANSACTION_SCHEMA",
    "Filing",
    "ParseError",
    "Reason",
    "Row",
    "TransactionEvent",
    "parse",
    "sniff",
    "to_events",
]
