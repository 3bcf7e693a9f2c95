"""Check a form4-stream webhook's ``Form4-Signature`` header: one file, Python 3.8+ standard library only.

Copy this file into your receiver; you do not need form4-stream installed. The header is
``t=<unix seconds>,v1=<hex HMAC-SHA256>``: the HMAC, keyed with your subscriber secret (UTF-8), of
the ASCII timestamp, a ``.``, and the request body exactly as received (bytes, before any JSON
parsing). A request older (or newer) than ``tolerance`` seconds is refused, which stops replays of
captured requests. Several ``v1=`` entries may be present while a secret is rotated; one match is
enough. Delivery is at least once: a repeat carries the same ``Form4-Event-Id`` as the last request you
kept for that alert (``<alert_id>``, a retraction ``<alert_id>-retracted``). An alert raised again after
its retraction has its first id again and is no repeat: fold by alert, the last record says whether it
stands.

    from verify_form4_signature import verify

    if not verify(SECRET, request.headers.get("Form4-Signature"), request.body):  # raw bytes
        return 400
"""

from __future__ import annotations  # the X | None annotations below then work on Python 3.8 too

import hashlib
import hmac
import time

DEFAULT_TOLERANCE = 300.0  # seconds; the same default as form4-stream's own verify_signature


def verify(
    secret: str | bytes,
    header: str | None,
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` is a valid ``Form4-Signature`` of ``body``, sent within ``tolerance`` seconds."""
    if not header:
        return False
    timestamp = None
    candidates = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    expected = hmac.new(key, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    # Constant-time comparison: the time taken must not tell how much of a forgery was right.
    return any(hmac.compare_digest(expected, c) for c in candidates)
