"""``POST /filings``: accept one raw filing over HTTP and put it on the raw topic.

The page sniffs the bytes: anything that passes goes to Kafka and the ``parse_filings`` agent
dead-letters what it cannot parse. It also parses them, only to answer with the ``filing_id`` the
agent will give them (a content fingerprint when there is no accession number). The answer (202)
is sent only after Kafka acknowledged the message, so a 202 means the filing is durable.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, cast

import faust
from aiohttp import web as aiohttp_web
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError
from faust.web import Request, Response, View

from parsers import ParseError, parse, sniff
from parsers.identity import normal_accession
from streams.adapters.acks import send_acked
from streams.adapters.producer import accession_of
from streams.config.settings import Settings
from streams.worker.topics import Send

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


def authorized(header: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries the bearer ``token`` (always true without a token).

    Compared in constant time so the response time does not leak how much of a guess was right.
    """
    if not token:
        return True
    if not header:
        return False
    return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


ACCESSION_PARAM = "accession"
ACCESSION_HEADER = "Form4-Accession"
"""``POST /filings?accession=0001127602-15-028697`` (or this header): the accession number of a body
that does not carry it (a bare ownership XML, a text rendering). It becomes the Kafka key, and the
parse agent takes it as the filing's accession number when the document has none of its own."""


def predicted_identity(raw: bytes, accession: str | None, max_bytes: int) -> tuple[str | None, str | None]:
    """``(accession number, filing id)`` the parse agent will give these bytes with this key, or
    ``(accession, None)`` when they do not parse (the agent dead-letters them).

    Parsed here (milliseconds for a real filing) because a filing without an accession number is
    identified by its content fingerprint, not by its bytes (see ``parsers.identity``).
    """
    try:
        filing = parse(raw, max_bytes=max_bytes).with_accession(accession)
    except ParseError:
        return accession, None
    return filing.accession_number, filing.filing_id


async def read_limited(request: aiohttp_web.Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is longer than ``limit`` bytes.

    Read from the stream rather than ``request.read()``: aiohttp caps that at its own
    ``client_max_size`` (1 MiB), while our limit is ``max_filing_bytes``.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def register(app: faust.App, settings: Settings, send: Send) -> type[View]:
    """``POST /filings`` on ``app``: filings go to ``settings.topic_raw`` through ``send``."""

    @app.page("/filings")
    class FilingsView(View):
        """Ingest endpoint of the "HTTP user": one raw filing per request."""

        async def post(self, request: Request, **kwargs: Any) -> Response:
            return await post_filing(self, cast(aiohttp_web.Request, request), settings, send)

    return FilingsView


async def post_filing(view: View, req: aiohttp_web.Request, settings: Settings, send: Send) -> Response:
    """Sniff, send to the raw topic and answer 202 with where the filing landed."""
    token = settings.http_token.get_secret_value() if settings.http_token else None
    if not authorized(req.headers.get("Authorization"), token):
        return view.json(
            {"error": "missing or wrong bearer token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="form4"'},
        )
    if req.content_type.startswith("multipart/"):
        # A form upload (curl -F) would put MIME framing around the filing: ask for the raw bytes.
        hint = "multipart uploads are not accepted: send the filing as the raw body (--data-binary @FILE)"
        return view.json({"reason": "multipart", "error": hint}, status=400)
    limit = settings.max_filing_bytes
    too_large = {"reason": "too_large", "error": f"a filing may be at most {limit} bytes"}
    # Content-Length first: a huge upload is refused before a byte of it is read.
    if req.content_length is not None and req.content_length > limit:
        return view.json(too_large, status=413)
    raw = await read_limited(req, limit)
    if raw is None:  # chunked or lying about its length
        return view.json(too_large, status=413)
    try:
        fmt = sniff(raw)
    except ParseError as exc:
        return view.json({"reason": exc.reason, "error": exc.message}, status=400)
    explicit = req.query.get(ACCESSION_PARAM) or req.headers.get(ACCESSION_HEADER)
    if explicit and normal_accession(explicit) is None:
        wrong = f"accession {explicit[:40]!r} is not an accession number such as 0001127602-15-028697"
        return view.json({"reason": "bad_accession", "error": wrong}, status=400)
    accession, filing_id = predicted_identity(raw, accession_of(raw) or normal_accession(explicit), limit)
    timeout = settings.kafka_send_timeout_seconds
    try:
        # Bounded: with the broker down Faust's producer waits for it forever. A filing answered 503
        # may still be delivered once Kafka is back; sending it again is safe (filings are idempotent).
        (meta,) = await asyncio.wait_for(
            send_acked([send(settings.topic_raw, accession.encode() if accession else None, raw)]), timeout
        )
    except TimeoutError:
        log.warning("POST /filings: Kafka did not acknowledge within %ss", timeout)
        unavailable = {
            "reason": "kafka_unavailable",
            "error": f"Kafka did not acknowledge the filing within {timeout}s; retry later (idempotent)",
        }
        return view.json(unavailable, status=503, headers={"Retry-After": "5"})
    except (KafkaError, ProducerSendError) as exc:
        # Faust wraps errors raised at send time in ProducerSendError; delivery errors come bare.
        cause = exc.__cause__ if isinstance(exc, ProducerSendError) else exc
        if isinstance(cause, MessageSizeTooLargeError):
            # Under max_filing_bytes but over the producer's or broker's message size limit.
            log.warning("POST /filings: %d bytes refused by Kafka: %r", len(raw), cause)
            refused = {"reason": "too_large", "error": f"Kafka refused a message of {len(raw)} bytes"}
            return view.json(refused, status=413)
        log.warning("POST /filings: Kafka did not acknowledge: %r", exc)
        return view.json({"error": f"Kafka did not acknowledge the filing: {exc!r}"}, status=503)
    body: dict[str, Any] = {
        "accession_number": accession,
        "topic": meta.topic,
        "partition": meta.partition,
        "offset": meta.offset,
        "format": fmt,
    }
    if filing_id:
        body["filing_id"] = filing_id
    log.info(
        "POST /filings: %s (%s, %d bytes) at %s[%d]@%d",
        filing_id or "?",
        fmt,
        len(raw),
        meta.topic,
        meta.partition,
        meta.offset,
    )
    return view.json(body, status=202)
