"""A polite EDGAR HTTP client: declared User-Agent, rate limit, bounded retries with backoff.

SEC's fair-access policy: declare who you are in the User-Agent (a name and a contact e-mail) and
make at most 10 requests per second; undeclared or faster clients get 403s and are blocked.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from dataclasses import dataclass
from types import TracebackType

import aiohttp
import stamina

from streams.adapters.edgar.metrics import edgar_responses
from streams.config.settings import Settings

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_DELAY = 120.0
# SEC counts requests at its end: a little slack per interval keeps network jitter from putting
# N + 1 requests into one of its 1-second windows.
_SPACING_SLACK = 0.005


class EdgarConfigError(Exception):
    """The client cannot run as configured (no declared User-Agent)."""


class EdgarError(Exception):
    """A request failed for good: retries exhausted or a non-retryable status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def check_user_agent(user_agent: str | None) -> str:
    """The declared User-Agent, validated.

    Raises:
        EdgarConfigError: missing, or without an e-mail-like contact.
    """
    hint = (
        'set FORM4_EDGAR_USER_AGENT to "<organisation or name> <contact e-mail>", e.g. '
        '"Acme Research ops@acme.example" (SEC requires a declared User-Agent)'
    )
    if not user_agent or not user_agent.strip():
        raise EdgarConfigError(f"no EDGAR User-Agent: {hint}")
    if not _EMAIL.search(user_agent):
        raise EdgarConfigError(f"EDGAR User-Agent {user_agent!r} has no contact e-mail: {hint}")
    return user_agent.strip()


class TokenBucket:
    """At most ``rate`` acquisitions per second, in any 1-second window.

    A bucket of capacity one: each token refills after ``1/rate`` seconds. A bigger burst would let
    a full bucket plus a second's refill land in one window, which is exactly what SEC forbids.
    """

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate + _SPACING_SLACK
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for the next token."""
        async with self._lock:  # one waiter at a time keeps the spacing exact under concurrency
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self.interval


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class EdgarRetryableStatus(Exception):
    """An answer worth retrying (429 or a 5xx in ``_RETRY_STATUSES``), with its ``Retry-After``."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def is_retryable_edgar_error(exc: Exception) -> bool | float:
    """Whether a failed EDGAR request is worth another attempt: the one retry predicate of the client.

    Retried: 429 and 500/502/503/504 answers, timeouts and connection errors; any other answer is
    final. A float is the delay SEC asked for with ``Retry-After`` (capped at two minutes), used
    instead of the exponential backoff.
    """
    if isinstance(exc, EdgarRetryableStatus):
        asked = retry_after_seconds(exc.retry_after)
        return min(_MAX_DELAY, asked) if asked else True
    return isinstance(exc, TimeoutError | aiohttp.ClientError)


@dataclass(frozen=True)
class Reply:
    """A final HTTP answer: status and body."""

    url: str
    status: int
    body: bytes


class EdgarClient:
    """Async EDGAR client; use as ``async with EdgarClient(settings) as client``.

    Raises:
        EdgarConfigError: at construction, without a declared User-Agent.
    """

    def __init__(self, settings: Settings) -> None:
        self.user_agent = check_user_agent(settings.edgar_user_agent)
        self.base_url = settings.edgar_base_url.rstrip("/")
        self.max_attempts = settings.edgar_max_attempts
        self.backoff = settings.edgar_backoff_seconds
        self.timeout = settings.edgar_timeout_seconds
        self.bucket = TokenBucket(settings.edgar_max_rps)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EdgarClient:
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        """An absolute URL for a path under the EDGAR base URL."""
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(self, url: str) -> Reply:
        """GET ``url``: rate-limited, retried as :func:`is_retryable_edgar_error` says.

        Backoff: ``edgar_backoff_seconds`` doubling per attempt plus up to as much again of random
        jitter (spreads clients that failed together), at most two minutes; a ``Retry-After``
        answer waits exactly as long as asked.

        Returns:
            The first non-retryable answer (2xx, 3xx, 4xx other than 429).

        Raises:
            EdgarError: still failing after ``edgar_max_attempts`` attempts.
        """
        if self._session is None:
            raise RuntimeError("EdgarClient used outside 'async with'")
        session = self._session
        try:
            async for attempt in stamina.retry_context(
                on=is_retryable_edgar_error,
                attempts=self.max_attempts,
                timeout=None,  # bounded by the attempts alone, as configured
                wait_initial=self.backoff,
                wait_max=_MAX_DELAY,
                wait_jitter=self.backoff,
            ):
                with attempt:
                    # Every attempt, retries included, waits for its token: SEC counts them all.
                    await self.bucket.acquire()
                    try:
                        async with session.get(url) as response:
                            body = await response.read()
                            edgar_responses.labels(str(response.status)).inc()
                            if response.status in _RETRY_STATUSES:
                                raise EdgarRetryableStatus(
                                    response.status, response.headers.get("Retry-After")
                                )
                            return Reply(url, response.status, body)
                    except Exception as exc:
                        if attempt.num < self.max_attempts and is_retryable_edgar_error(exc):
                            log.warning(
                                "EDGAR %s: %s; retry %d/%d",
                                url,
                                _problem(exc),
                                attempt.num,
                                self.max_attempts - 1,
                            )
                        raise
        except Exception as exc:  # the last retryable failure, or one not worth retrying
            if not is_retryable_edgar_error(exc):
                raise
            raise EdgarError(f"{url}: {_problem(exc)} after {self.max_attempts} attempts") from exc
        raise AssertionError("unreachable: stamina returns or re-raises the last error")

    async def get(self, url: str, *, missing_ok: bool = False) -> bytes | None:
        """The body of a 200 answer; ``None`` for a 404 when ``missing_ok``.

        Raises:
            EdgarError: any other status, or retries exhausted.
        """
        reply = await self.request(url)
        if reply.status == 200:
            return reply.body
        if reply.status == 404 and missing_ok:
            return None
        hint = " (SEC refuses undeclared or too-fast clients)" if reply.status == 403 else ""
        raise EdgarError(f"{url}: HTTP {reply.status}{hint}", status=reply.status)


def _problem(exc: BaseException) -> str:
    """One line naming a failed attempt: ``HTTP 503``, or the exception type and its text."""
    if isinstance(exc, EdgarRetryableStatus):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
