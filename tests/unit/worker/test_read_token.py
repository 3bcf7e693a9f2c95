"""FORM4_HTTP_TOKEN_READS: the worker's data GETs need the bearer token; probes and scrapes stay open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from faust.web import Request, Response, View

from streams.domain.ledger import Stores
from streams.worker.app import faust_app
from streams.worker.web import positions
from tests.unit.worker.fakes import unit_settings

TOKEN = "s3cret-token"
GOOD = {"Authorization": f"Bearer {TOKEN}"}
DATA = ["/positions/?issuer=ACME", "/positions/all", "/stats", "/api/anything"]


async def _serve(**overrides: Any) -> TestClient[Any, Any]:
    app = faust_app(unit_settings(**overrides))
    positions.register(app, Stores())
    for path in ("/health", "/api/anything"):  # stand-ins for routes registered by other modules

        def make(answer: str) -> type[View]:
            class Answer(View):
                async def get(self, request: Request, **kwargs: Any) -> Response:
                    return self.json({"answer": answer})

            return Answer

        app.page(path)(make(path))
    web: Any = app.web  # the aiohttp driver; its web_app is not on faust's Web type
    client: TestClient[Any, Any] = TestClient(TestServer(web.web_app))
    await client.start_server()
    return client


@pytest_asyncio.fixture
async def locked() -> AsyncIterator[TestClient[Any, Any]]:
    client = await _serve(http_token=TOKEN, http_token_reads=True)
    yield client
    await client.close()


@pytest.mark.parametrize("path", DATA)
async def test_data_gets_need_the_token(locked: TestClient[Any, Any], path: str) -> None:
    """No token or a wrong one: 401 with a Bearer challenge; the right one: the data."""
    missing = await locked.get(path)
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "bearer token" in (await missing.json())["error"]
    wrong = await locked.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await locked.get(path, headers=GOOD)
    assert right.status == 200, await right.text()


async def test_probes_stay_open(locked: TestClient[Any, Any]) -> None:
    """Liveness must answer without the token (orchestrators do not carry it)."""
    assert (await locked.get("/health")).status == 200


@pytest.mark.parametrize(
    "overrides",
    [{"http_token": TOKEN, "http_token_reads": False}, {"http_token": None, "http_token_reads": True}],
    ids=["reads-off", "no-token-set"],
)
async def test_reads_are_open_unless_both_settings_ask_for_the_token(overrides: dict[str, Any]) -> None:
    """The default (reads off), or reads on without a token to check: GETs answer without a header."""
    client = await _serve(**overrides)
    try:
        for path in DATA:
            assert (await client.get(path)).status == 200, path
    finally:
        await client.close()


async def test_a_browser_gets_in_with_the_token_once_in_the_address(locked: TestClient[Any, Any]) -> None:
    """/?token=... sets an HttpOnly cookie and redirects without the token; the cookie opens data GETs."""
    wrong = await locked.get("/api/anything?token=nope", allow_redirects=False)
    assert wrong.status == 401
    opened = await locked.get("/api/anything?x=1&token=" + TOKEN, allow_redirects=False)
    assert opened.status == 302
    assert opened.headers["Location"] == "/api/anything?x=1"
    cookie = opened.cookies[positions.TOKEN_COOKIE]
    assert cookie.value == TOKEN and cookie["httponly"]
    again = await locked.get("/stats", cookies={positions.TOKEN_COOKIE: TOKEN})
    assert again.status == 200, await again.text()
    bad_cookie = await locked.get("/stats", cookies={positions.TOKEN_COOKIE: "nope"})
    assert bad_cookie.status == 401
