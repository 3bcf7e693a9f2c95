"""A polite EDGAR HTTP client: declared User-Agent, rate limit, bounded retries with backoff.

SEC's fair-access policy: declare who you are in the User-Agent (a name and a contact e-mail) and
make at most 10 requests per second; undeclared or faster clients get 403s and are blocked.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
from dataclasses import dataclass
from types import TracebackType

import aiohttp

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

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter spreads clients that failed together; Retry-After is a floor, never shortened.
        backoff = random.uniform(0, self.backoff * 2 ** (attempt - 1))
        return min(_MAX_DELAY, max(backoff, retry_after or 0.0))

    async def request(self, url: str) -> Reply:
        """GET ``url``: rate-limited, retried on 429/5xx/timeouts/connection errors.

        Returns:
            The first non-retryable answer (2xx, 3xx, 4xx other than 429).

        Raises:
            EdgarError: still failing after ``edgar_max_attempts`` attempts.
        """
        if self._session is None:
            raise RuntimeError("EdgarClient used outside 'async with'")
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            await self.bucket.acquire()
            retry_after: float | None = None
            try:
                async with self._session.get(url) as response:
                    body = await response.read()
                    if response.status not in _RETRY_STATUSES:
                        return Reply(url, response.status, body)
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                    problem = f"HTTP {response.status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt < self.max_attempts:
                delay = self._delay(attempt, retry_after)
                log.warning(
                    "EDGAR %s: %s; retry %d/%d in %.2fs", url, problem, attempt, self.max_attempts - 1, delay
                )
                await asyncio.sleep(delay)
        raise EdgarError(f"{url}: {problem} after {self.max_attempts} attempts")

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
