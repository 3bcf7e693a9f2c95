"""A local webhook receiver for tests: an aiohttp server on 127.0.0.1 with one POST route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from streams.localbroker.broker import free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def start_hook_server(handler: Handler, runners: list[web.AppRunner], path: str = "/hook") -> str:
    """Serve ``handler`` at ``path`` on a free port; the runner is appended to ``runners`` for cleanup."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    runners.append(runner)
    return f"http://127.0.0.1:{port}{path}"
