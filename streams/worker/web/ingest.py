"""``POST /filings``: accept one raw filing over HTTP and put it on the raw topic.

The page only sniffs the bytes (cheap, a few KB): anything that passes goes to Kafka and the
``parse_filings`` agent does the real parsing, dead-lettering what fails there. The answer (202)
is sent only after Kafka acknowledged the message, so a 202 means the filing is durable.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, cast

import faust
from aiohttp import web as aiohttp_web
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError
from faust.web import Request, Response, View

from parsers import ParseError, sniff
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


def predicted_filing_id(raw: bytes, fmt: str, accession: str | None) -> str | None:
    """The ``filing_id`` the parser will give these bytes, when it can be told without parsing.

    Submissions are identified by their header's accession number; the other formats by the
    content hash (see ``parsers.models.Filing.filing_id``).
    """
    if fmt == "submission":
        return accession
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:32]}"


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
    accession = accession_of(raw)
    try:
        (meta,) = await send_acked([send(settings.topic_raw, accession.encode() if accession else None, raw)])
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
    filing_id = predicted_filing_id(raw, fmt, accession)
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
