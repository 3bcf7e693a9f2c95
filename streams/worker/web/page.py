"""The worker's web page (same port): live alerts, an issuer page and an ops strip.

* ``GET /``: alerts, newest first, coloured by severity, filterable by ticker, rule, severity (at
  least) and owner; retracted alerts struck through; each linked to its filing on EDGAR. The rows are
  rendered here (the page reads without JavaScript); ``static/page.js`` then polls
  ``GET /api/alerts?since=<seq>`` and ``GET /api/ops`` and updates the page in place.
* ``GET /issuer?issuer=<CIK or ticker>``: positions by holder with the rolling 30/90/365-day flows,
  the recent transactions behind them and the reconciliation breaks (this worker's partitions, like
  ``/positions``).
* ``GET /api/ops``: lag per topic (read from the broker now), dead letters by reason and webhook
  failures (this worker's counters since it started, the values ``/metrics`` serves).

Everything is served by the worker itself: no CDN, no front-end build, one small script and style sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import faust
from faust.web import Request, Response, View
from prometheus_client import REGISTRY, CollectorRegistry

from streams.config.settings import Settings
from streams.config.vocabulary import SEVERITIES
from streams.domain.ledger import Stores
from streams.domain.state import Position
from streams.domain.views import find_positions
from streams.worker.agents.lag_monitor import KafkaProbe
from streams.worker.web.alert_feed import AlertFeed

STATIC_DIR = Path(str(files("streams.worker.web") / "static"))
RULES = ("large_sale", "large_fraction_sold", "liquidation", "cluster_selling")
RECENT_TRANSACTIONS = 50
OPS_MAX_AGE = 2.0
"""Seconds a broker reading may be reused by the ops strip (every open page polls it)."""


# --- alerts -----------------------------------------------------------------------------------


def matches(alert: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    """Whether a served alert (``/api/alerts`` JSON) passes the page's filters; page.js does the same."""
    ticker = query.get("ticker", "").strip().upper()
    if ticker and (alert.get("ticker") or "").upper() != ticker and alert["issuer_cik"] != ticker.zfill(10):
        return False
    rule = query.get("rule", "")
    if rule and alert["rule"] != rule:
        return False
    severity = query.get("severity", "")
    if severity in SEVERITIES and SEVERITIES.index(alert["severity"]) < SEVERITIES.index(severity):
        return False
    owner = query.get("owner", "").strip().lower()
    if owner and not any(owner in f"{o['name']} {o['cik'] or ''}".lower() for o in alert["owners"]):
        return False
    return True


def _money(value: str | None) -> str:
    if value is None or value == "":
        return ""
    amount = float(value)  # display only: the records keep exact decimals
    return f"${amount:,.0f}"


def alert_row(alert: Mapping[str, Any]) -> str:
    """One alert as a table row; page.js builds the same markup from the same JSON."""
    owners = ", ".join(f"{o['name']} ({o['role']})" for o in alert["owners"])
    issuer = alert.get("ticker") or alert["issuer_cik"]
    link = alert.get("edgar_url")
    filing = f'<a href="{escape(link)}" rel="noreferrer">EDGAR</a>' if link else ""
    classes = f"alert sev-{alert['severity']}" + (" retracted" if alert["retracted"] else "")
    value = _money(alert["figures"].get("value_usd") or alert["figures"].get("window_sold_value_usd"))
    return (
        f'<tr class="{classes}" data-id="{escape(alert["alert_id"])}">'
        f"<td>{escape(alert['created_at'][:19].replace('T', ' '))}</td>"
        f'<td><span class="sev">{escape(alert["severity"])}</span></td>'
        f"<td>{escape(alert['rule'])}</td>"
        f'<td><a href="/issuer?{urlencode({"issuer": issuer})}">{escape(issuer)}</a></td>'
        f"<td>{escape(owners)}</td>"
        f'<td class="num">{escape(value)}</td>'
        f"<td>{escape(alert['summary'])}</td>"
        f"<td>{filing}</td></tr>"
    )


def _select(name: str, label: str, options: Iterable[str], chosen: str) -> str:
    opts = "".join(
        f'<option value="{escape(o)}"{" selected" if o == chosen else ""}>{escape(o) or "any"}</option>'
        for o in ("", *options)
    )
    return f'<label>{escape(label)} <select name="{name}" id="f-{name}">{opts}</select></label>'


def _text(name: str, label: str, value: str) -> str:
    return (
        f'<label>{escape(label)} <input name="{name}" id="f-{name}" value="{escape(value)}" '
        f'autocomplete="off"></label>'
    )


def _layout(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/page.css"></head>'
        f'<body><header><a href="/" class="home">form4-stream</a> <span>{escape(title)}</span></header>'
        f"{body}</body></html>"
    )


def ops_strip() -> str:
    """The ops strip's frame; page.js fills it from /api/ops."""
    return (
        '<section id="ops" class="ops"><span id="ops-kafka">Kafka: ?</span>'
        '<span id="ops-lag">lag: ?</span><span id="ops-dlq">dead letters: ?</span>'
        '<span id="ops-webhooks">webhook failures: ?</span></section>'
    )


def alerts_page(feed: AlertFeed, query: Mapping[str, str]) -> str:
    entries = feed.since(0)
    rows = "".join(alert_row(a) for a in entries if matches(a, query))
    filters = (
        '<form id="filters" class="filters" method="get" action="/">'
        + _text("ticker", "ticker", query.get("ticker", ""))
        + _select("rule", "rule", RULES, query.get("rule", ""))
        + _select("severity", "severity at least", SEVERITIES, query.get("severity", ""))
        + _text("owner", "owner", query.get("owner", ""))
        + '<noscript><button type="submit">filter</button></noscript></form>'
    )
    table = (
        '<table id="alerts"><thead><tr><th>raised</th><th>severity</th><th>rule</th><th>issuer</th>'
        '<th>owners</th><th class="num">value</th><th>summary</th><th>filing</th></tr></thead>'
        f'<tbody id="alert-rows" data-seq="{feed.seq}">{rows}</tbody></table>'
        '<p class="note">Alerts of every partition, newest first (the last '
        f"{feed.capacity} this worker read from the alerts topic). Struck through: retracted by an "
        "amendment.</p>"
    )
    return _layout("alerts", ops_strip() + filters + table + '<script src="/static/page.js"></script>')


# --- issuer -------------------------------------------------------------------------------------


def _ownership(p: dict[str, Any]) -> str:
    """``D`` or ``I``, with what tells the holder's lines of one security apart: the vehicle's footnote
    (an IRA, a trust) or the nature of an indirect holding."""
    said = p["vehicle"] or (p["nature_of_ownership"] if p["direct_indirect"] == "I" else None)
    return f"{p['direct_indirect'] or '-'}: {said}" if said else p["direct_indirect"] or "-"


def _cell(value: object) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _holder(p: Mapping[str, Any]) -> str:
    return ", ".join(o["name"] for o in p["holder"]["owners"]) or p["holder"]["key"]


def issuer_page(stores: Stores, issuer: str) -> str:
    """Positions by holder with their flows, the recent transactions and the breaks of ``issuer``.

    Positions are ``form4.position/1`` records (``streams.domain.views``); transactions are the rows
    the worker's positions table keeps behind them.
    """
    found = find_positions(stores.positions, issuer, None)
    if not found:
        body = (
            f"<p>No positions of <b>{escape(issuer)}</b> on this worker. Each worker holds the issuers of "
            "its partitions: ask the others too.</p>"
        )
        return _layout(f"issuer {issuer}", ops_strip() + body + '<script src="/static/page.js"></script>')
    who = found[0]["issuer"]
    title = f"{who['name'] or ''} ({who['ticker'] or who['cik']})"
    days = ("30", "90", "365")
    head = (
        "<tr><th>holder</th><th>security</th><th>D/I</th><th class=num>shares</th><th>as of</th>"
        + "".join(f"<th class=num>{d}d sold</th><th class=num>{d}d bought</th>" for d in days)
        + "<th>breaks</th></tr>"
    )
    rows = []
    for p in sorted(found, key=lambda p: (_holder(p), p["key"])):
        flows = {str(f["days"]): f for f in p["flows"]}
        cells = "".join(
            f'<td class="num">{_money(flows.get(d, {}).get("sold_value_usd"))}</td>'
            f'<td class="num">{_money(flows.get(d, {}).get("bought_value_usd"))}</td>'
            for d in days
        )
        rows.append(
            f'<tr class="{"break" if p["breaks"] else ""}">'
            + _cell(_holder(p))
            + _cell(p["security_title"] or p["security"])
            + _cell(_ownership(p))
            + f'<td class="num">{escape(p["shares"] or "")}</td>'
            + _cell(p["as_of"])
            + cells
            + _cell(len(p["breaks"]) or "")
            + "</tr>"
        )
    positions = f'<h2>Positions by holder</h2><table id="positions">{head}{"".join(rows)}</table>'
    held = [(p, stores.positions[p["key"]]) for p in found]
    return _layout(
        f"issuer {title}",
        ops_strip()
        + f"<h1>{escape(title)}</h1>"
        + f'<p><a href="/?{urlencode({"ticker": who["ticker"] or who["cik"]})}">alerts</a></p>'
        + positions
        + _transactions(held)
        + _breaks(found)
        + '<script src="/static/page.js"></script>',
    )


def _transactions(held: list[tuple[dict[str, Any], Position]]) -> str:
    rows = sorted(
        ((p, r) for p, pos in held for r in pos.rows if not r.is_holding),
        key=lambda pr: pr[1].sort_key,
        reverse=True,
    )[:RECENT_TRANSACTIONS]
    body = "".join(
        "<tr>"
        + _cell(r.day)
        + _cell(_holder(p))
        + _cell(p["security_title"] or p["security"])
        + _cell(r.code)
        + _cell(r.acquired_disposed)
        + f'<td class="num">{escape(str(r.shares or ""))}</td>'
        + f'<td class="num">{escape(str(r.price or ""))}</td>'
        + f'<td class="num">{escape(str(r.owned_following or ""))}</td>'
        + _cell(r.event_id)
        + "</tr>"
        for p, r in rows
    )
    return (
        '<h2>Recent transactions</h2><table id="transactions"><tr><th>date</th><th>holder</th>'
        "<th>security</th><th>code</th><th>A/D</th><th class=num>shares</th><th class=num>price</th>"
        f"<th class=num>held after</th><th>event</th></tr>{body}</table>"
    )


def _breaks(found: list[dict[str, Any]]) -> str:
    rows = "".join(
        "<tr>"
        + _cell(_holder(p))
        + _cell(p["security_title"] or p["security"])
        + _cell(b["event_id"])
        + _cell(b["expected"])
        + _cell(b["reported"])
        + "</tr>"
        for p in found
        for b in p["breaks"]
    )
    if not rows:
        return "<h2>Reconciliation breaks</h2><p>None: every reported holding follows from the prior one.</p>"
    return (
        '<h2>Reconciliation breaks</h2><table id="breaks"><tr><th>holder</th><th>security</th><th>event</th>'
        f"<th>expected</th><th>reported</th></tr>{rows}</table>"
    )


# --- ops ----------------------------------------------------------------------------------------


def family_totals(registries: Iterable[CollectorRegistry], name: str, label: str) -> dict[str, float]:
    """Sum of counter ``name`` (without ``_total``) by ``label``, over ``registries``."""
    out: dict[str, float] = {}
    for registry in registries:
        for family in registry.collect():
            if family.name != name:
                continue
            for s in family.samples:
                if s.name == f"{name}_total":
                    key = s.labels.get(label, "")
                    out[key] = out.get(key, 0.0) + s.value
    return out


async def ops_snapshot(probe: KafkaProbe, registry: CollectorRegistry) -> dict[str, Any]:
    registries = [registry] if registry is REGISTRY else [registry, REGISTRY]
    reading = await probe.read(max_age=OPS_MAX_AGE)
    lag: dict[str, int] = {}
    for p in reading.lag.partitions if reading.lag else []:
        lag[p.topic] = lag.get(p.topic, 0) + p.lag
    attempts = family_totals(registries, "form4_webhook_attempts", "result")
    deliveries = family_totals(registries, "form4_webhook_deliveries", "outcome")
    return {
        "kafka_reachable": reading.reachable,
        "kafka_error": reading.error,
        "lag_by_topic": lag,
        "dead_letters_by_reason": family_totals(registries, "form4_dead_letters", "reason"),
        "webhook_failed_attempts": attempts.get("error", 0.0),
        "webhook_dead_lettered": deliveries.get("dead_lettered", 0.0),
    }


def register(
    app: faust.App,
    settings: Settings,
    stores: Stores,
    feed: AlertFeed,
    probe: KafkaProbe,
    registry: CollectorRegistry,
) -> list[type[View]]:
    """The page, the issuer page, their JSON endpoints and the static files on ``app``."""

    @app.page("/")
    class AlertsPage(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            return self.html(alerts_page(feed, dict(request.query)))

    @app.page("/issuer")
    class IssuerPage(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            issuer = request.query.get("issuer", "").strip()
            if not issuer:
                return self.html(
                    _layout("issuer", "<p>Add <code>?issuer=CIK or ticker</code>.</p>"), status=400
                )
            return self.html(issuer_page(stores, issuer))

    @app.page("/api/alerts")
    class AlertsApi(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            since = request.query.get("since", "0")
            if not since.isdigit():
                return self.json({"error": "since must be a sequence number (an integer >= 0)"}, status=400)
            alerts = [a for a in feed.since(int(since)) if matches(a, dict(request.query))]
            return self.json({"seq": feed.seq, "alerts": alerts})

    @app.page("/api/ops")
    class OpsApi(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            return self.json(await ops_snapshot(probe, registry))

    app.web.add_static("/static/", STATIC_DIR)
    return [AlertsPage, IssuerPage, AlertsApi, OpsApi]


__all__ = ["alert_row", "alerts_page", "issuer_page", "matches", "ops_snapshot", "register"]
