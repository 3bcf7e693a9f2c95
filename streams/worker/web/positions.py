"""HTTP pages of the worker: positions, health and readiness (metrics are set up in the worker)."""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from streams.worker.app import app
from streams.worker.tables import ledger_stores


def find_positions(positions: Any, issuer: str | None, owner: str | None) -> list[dict[str, Any]]:
    """Positions of an issuer (CIK, zero-padded or not, or ticker), optionally of one owner."""
    wanted = (issuer or "").strip()
    cik = wanted.zfill(10) if wanted.isdigit() else None
    ticker = wanted.upper() if wanted and not wanted.isdigit() else None
    owner_cik = owner.zfill(10) if owner and owner.isdigit() else owner
    out = []
    for key, pos in positions.items():
        if pos is None:
            continue
        if cik and pos.get("issuer_cik") != cik:
            continue
        if ticker and (pos.get("ticker") or "").upper() != ticker:
            continue
        if owner_cik and pos.get("owner") != owner_cik:
            continue
        out.append(public_position(key, pos))
    return sorted(out, key=lambda p: p["key"])


def public_position(key: str, pos: dict[str, Any]) -> dict[str, Any]:
    """A position as served: everything but the raw rows it was computed from."""
    return {k: v for k, v in pos.items() if k != "rows"} | {"key": key}


@app.page("/positions/")
class PositionsView(View):
    async def get(self, request: Request) -> Response:
        issuer = request.query.get("issuer")
        if not issuer:
            return self.json({"error": "query parameter 'issuer' (CIK or ticker) is required"}, status=400)
        found = find_positions(ledger_stores.positions, issuer, request.query.get("owner"))
        return self.json({"issuer": issuer, "count": len(found), "positions": found})


@app.page("/positions/all")
class AllPositionsView(View):
    async def get(self, request: Request) -> Response:
        found = [public_position(k, p) for k, p in sorted(ledger_stores.positions.items()) if p]
        return self.json({"count": len(found), "positions": found})


@app.page("/health")
class HealthView(View):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "ok"})


@app.page("/ready")
class ReadyView(View):
    async def get(self, request: Request) -> Response:
        assigned = sorted(str(tp) for tp in app.consumer.assignment()) if app.consumer else []
        recovered = bool(app.tables.recovery.completed.is_set()) if app.tables else False
        ready = recovered and bool(assigned)
        body = {"ready": ready, "tables_recovered": recovered, "assigned_partitions": assigned}
        return self.json(body, status=200 if ready else 503)


@app.page("/stats")
class StatsView(View):
    async def get(self, request: Request) -> Response:
        filings = [f for f in ledger_stores.filings.values() if f]
        alerts = [a for a in ledger_stores.alerts.values() if a]
        positions = [p for p in ledger_stores.positions.values() if p]
        return self.json(
            {
                "filings_applied": sum(1 for f in filings if f.get("status") == "active"),
                "filings_superseded": sum(1 for f in filings if f.get("status") == "superseded"),
                "positions": len(positions),
                "positions_with_breaks": sum(1 for p in positions if p.get("breaks")),
                "alerts_active": sum(1 for a in alerts if a.get("active")),
                "alerts_retracted": sum(1 for a in alerts if not a.get("active")),
            }
        )
