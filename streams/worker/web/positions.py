"""HTTP pages of the worker: positions and stats (health and readiness: ``streams.worker.web.health``)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import faust
from aiohttp import web as aiohttp_web
from faust.web import Request, Response, View

from streams.config.settings import Settings
from streams.domain.ledger import Stores
from streams.domain.views import all_positions, find_positions, parse_as_of, state_stats, today
from streams.worker.web.ingest import authorized

#: Paths anyone may GET even with FORM4_HTTP_TOKEN_READS: probes, scrapes and the page's style/script.
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics"})
OPEN_PREFIXES = ("/static/",)

Handler = Callable[[aiohttp_web.Request], Awaitable[aiohttp_web.StreamResponse]]

TOKEN_COOKIE = "form4_token"
"""Carries FORM4_HTTP_TOKEN for the web page in a browser (set by opening ``/?token=...`` once)."""


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def read_token_middleware(settings: Settings) -> Callable[..., Awaitable[aiohttp_web.StreamResponse]]:
    """An aiohttp middleware: with FORM4_HTTP_TOKEN_READS and FORM4_HTTP_TOKEN, every GET for data
    needs the bearer token (401 otherwise). A middleware, not a check per view, so that no data route
    (ours, the web page's, Faust's own) can be left open by forgetting it."""
    token = settings.http_token.get_secret_value() if settings.http_token else None
    required = settings.http_token_reads and bool(token)

    @aiohttp_web.middleware
    async def require_read_token(
        request: aiohttp_web.Request, handler: Handler
    ) -> aiohttp_web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if (
            required
            and token
            and request.method in ("GET", "HEAD")
            and path not in OPEN_PATHS
            and not request.path.startswith(OPEN_PREFIXES)
            and not authorized(request.headers.get("Authorization"), token)
            and not _same(request.cookies.get(TOKEN_COOKIE), token)
        ):
            if _same(request.query.get("token"), token):
                # A browser cannot send a bearer header: opening /?token=... once sets a cookie, and the
                # redirect drops the token from the address bar (and from the history).
                query = {k: v for k, v in request.query.items() if k != "token"}
                found = aiohttp_web.HTTPFound(str(request.rel_url.with_query(query)))
                found.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/")
                raise found
            return aiohttp_web.json_response(
                {"error": "missing or wrong bearer token (FORM4_HTTP_TOKEN_READS is on)"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="form4"'},
            )
        return await handler(request)

    return require_read_token


def register(app: faust.App, stores: Stores) -> list[type[View]]:
    """The pages on ``app``: positions and stats read the ledger's ``stores``."""

    @app.page("/positions/")
    class PositionsView(View):
        async def get(self, request: Request) -> Response:
            issuer = request.query.get("issuer")
            if not issuer:
                return self.json(
                    {"error": "query parameter 'issuer' (CIK or ticker) is required"}, status=400
                )
            try:
                as_of = parse_as_of(request.query.get("as_of"))
            except ValueError as exc:
                return self.json({"error": f"query parameter {exc}"}, status=400)
            day = as_of or today()  # one reference day for every position of the answer
            found = find_positions(stores.positions, issuer, request.query.get("owner"), day)
            body = {"issuer": issuer, "as_of": day.isoformat(), "count": len(found), "positions": found}
            return self.json(body)

    @app.page("/positions/all")
    class AllPositionsView(View):
        async def get(self, request: Request) -> Response:
            try:
                as_of = parse_as_of(request.query.get("as_of"))
            except ValueError as exc:
                return self.json({"error": f"query parameter {exc}"}, status=400)
            day = as_of or today()
            found = all_positions(stores.positions, day)
            return self.json({"as_of": day.isoformat(), "count": len(found), "positions": found})

    @app.page("/stats")
    class StatsView(View):
        async def get(self, request: Request) -> Response:
            return self.json(state_stats(stores))

    return [PositionsView, AllPositionsView, StatsView]
