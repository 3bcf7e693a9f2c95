"""Sniff the format of a raw filing from its first few KB, then let :func:`parsers.parse` dispatch.

The decision is made from the bytes, never from a file name: real corpora carry HTML files named
``.xml`` and complete submissions named ``.xml`` or ``.nc``.
"""

from __future__ import annotations

import re

from parsers.errors import BadEncoding, NotOwnershipForm, UnsupportedFormat
from parsers.models import SourceFormat

__all__ = ["HEAD_BYTES", "sniff"]

HEAD_BYTES = 8192
"""How much of the input is looked at. A complete-submission header fits well within it."""

_BOMS = (b"\xef\xbb\xbf",)
# UTF-16/32 byte-order marks: EDGAR is ASCII/UTF-8, and these also put NULs everywhere.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")

# EDGAR complete-submission envelopes: the modern SGML header, the older PEM wrapper around it,
# the dissemination (.nc) <SUBMISSION> form, and the 1990s <IMS-DOCUMENT>.
_SUBMISSION = re.compile(
    rb"<(?:SEC-DOCUMENT|SEC-HEADER|SUBMISSION|IMS-DOCUMENT|IMS-HEADER)>"
    rb"|-----BEGIN PRIVACY-ENHANCED MESSAGE-----",
    re.IGNORECASE,
)
# Prolog: declaration, comments, and a DOCTYPE whose internal subset ("[...]") may hold '>'.
_XML_ROOT = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*<([\w.:-]+)", re.DOTALL
)
_HTML = re.compile(rb"<html\b|<!DOCTYPE\s+html|<body\b|<table\b", re.IGNORECASE)
_TAG = re.compile(rb"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?>")
_FORM_WORDS = re.compile(
    rb"\bFORM\s+[345]\b|STATEMENT\s+OF\s+CHANGES\s+IN\s+BENEFICIAL\s+OWNERSHIP|"
    rb"INITIAL\s+STATEMENT\s+OF\s+BENEFICIAL\s+OWNERSHIP|ANNUAL\s+STATEMENT\s+OF\s+CHANGES|\bTable\s+I\b",
    re.IGNORECASE,
)
# Control characters other than tab/newline/carriage-return/form-feed mark binary input.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])


def _check_encoding(head: bytes) -> None:
    if head.startswith(_WIDE_BOMS) or b"\x00" in head:
        raise BadEncoding("NUL bytes or a UTF-16/32 byte-order mark: not an ASCII/UTF-8 filing")
    # bytes.translate with a delete table runs in C: cheaper than a regex findall on every input.
    if len(head) - len(head.translate(None, _CONTROL_BYTES)) > 8:
        raise BadEncoding("binary content: control characters in the first bytes")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the head window is fine; a bad byte anywhere else is not.
        if exc.start < len(head) - 3:
            # An XML declaration naming another encoding is legitimate; the XML parser decodes it.
            if not re.match(rb"\s*<\?xml[^>]*encoding=[\"'](?!utf-?8)", head, re.IGNORECASE):
                raise BadEncoding(f"not UTF-8: byte 0x{head[exc.start]:02x} at offset {exc.start}") from None


def sniff(content: bytes) -> SourceFormat:
    """Tell the format of a raw filing from its first :data:`HEAD_BYTES` bytes.

    Returns:
        ``"submission"`` for an EDGAR complete-submission text (SGML header), ``"xml"`` for an XML
        document (whatever its root: the XML parser rejects a non-ownership root), ``"html"`` for an
        HTML rendering, ``"text"`` for a plain-text rendering that names the form.

    Raises:
        BadEncoding: NUL bytes, binary junk or invalid UTF-8.
        UnsupportedFormat: empty input.
        NotOwnershipForm: text that is none of the above and does not name Form 3/4/5.
    """
    head = content[:HEAD_BYTES]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
    _check_encoding(head)
    if not head.strip():
        raise UnsupportedFormat("empty input")
    # Submission first: the envelope wraps XML/HTML documents, so their markers appear later on.
    if _SUBMISSION.search(head[:2048]):
        return "submission"
    root = _XML_ROOT.match(head)
    if root is not None:
        local = root.group(1).rsplit(b":", 1)[-1].lower()
        if local == b"ownershipdocument":
            return "xml"
        if local != b"html" and _HTML.search(head) is None:
            # Some XML document (a 10-K's XBRL, a scraper's <ownershipDocuments> wrapper...): the
            # XML parser gives the precise reason (not_ownership_form or malformed_xml).
            return "xml"
    if head.lstrip().startswith(b"<?xml") and _HTML.search(head) is None:
        # An XML declaration whose root was not found in the head (huge DTD, truncated): still XML.
        return "xml"
    if _HTML.search(head) or len(_TAG.findall(head)) >= 20:
        return "html"
    if _FORM_WORDS.search(head) or _FORM_WORDS.search(content[:65536]):
        return "text"
    if root is not None:
        return "xml"
    raise NotOwnershipForm("not XML, HTML, an EDGAR submission, or a text rendering of Form 3/4/5")
