"""HTTP pages of the worker: positions, health and readiness (metrics are set up in the worker)."""

from __future__ import annotations

from typing import cast

import faust
from faust.tables.manager import TableManager
from faust.web import Request, Response, View

from streams.domain.ledger import Stores
from streams.domain.views import find_positions, public_position, state_stats


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
            found = find_positions(stores.positions, issuer, request.query.get("owner"))
            return self.json({"issuer": issuer, "count": len(found), "positions": found})

    @app.page("/positions/all")
    class AllPositionsView(View):
        async def get(self, request: Request) -> Response:
            found = [public_position(k, p) for k, p in sorted(stores.positions.items()) if p]
            return self.json({"count": len(found), "positions": found})

    @app.page("/health")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class ReadyView(View):
        async def get(self, request: Request) -> Response:
            assigned = sorted(str(tp) for tp in app.consumer.assignment()) if app.consumer else []
            tables = cast(TableManager, app.tables)  # TableManagerT does not declare its recovery
            recovered = bool(tables.recovery.completed.is_set()) if tables else False
            ready = recovered and bool(assigned)
            body = {"ready": ready, "tables_recovered": recovered, "assigned_partitions": assigned}
            return self.json(body, status=200 if ready else 503)

    @app.page("/stats")
    class StatsView(View):
        async def get(self, request: Request) -> Response:
            return self.json(state_stats(stores))

    return [PositionsView, AllPositionsView, HealthView, ReadyView, StatsView]
