"""``form4 positions --issuer CIK|TICKER [--owner CIK] [--as-of DATE] [--offline FILES...]``.

Current holdings as ``form4.position/1`` records. Live, the positions table of a running worker
(``GET /positions/``). With ``--offline``, the same answer computed here: FILES (filings, or folders
of them) are parsed and applied to an in-memory ledger in the order given, exactly as the worker
would, with no broker or worker at all. Rolling flows end on ``--as-of`` (default today).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import click
import orjson

from streams.adapters.producer import iter_files
from streams.cli.exit_codes import ConfigError, Unreachable
from streams.config.settings import Settings, get_settings
from streams.domain.offline import replay
from streams.domain.views import find_positions, parse_as_of, today


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4f}".rstrip("0")


def offline_positions(
    files: tuple[Path, ...], issuer: str, owner: str | None, settings: Settings, as_of: date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The worker's ``GET /positions/`` answer over FILES replayed here, and the files that did not parse."""
    done = replay(((str(p), p.read_bytes()) for p in iter_files(files)), settings)
    day = as_of or today()
    found = find_positions(done.stores.positions, issuer, owner, day)
    body = {"issuer": issuer, "as_of": day.isoformat(), "count": len(found), "positions": found}
    return body, done.failures


def _live_positions(
    issuer: str, owner: str | None, as_of: date | None, url: str | None, settings: Settings
) -> dict[str, Any]:
    base = url or f"http://{settings.web_host}:{settings.web_port}"
    params = {"issuer": issuer, **({"owner": owner} if owner else {})}
    query = urllib.parse.urlencode({**params, **({"as_of": as_of.isoformat()} if as_of else {})})
    try:
        with urllib.request.urlopen(f"{base}/positions/?{query}", timeout=10) as resp:  # noqa: S310
            body: dict[str, Any] = orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        said = " ".join(exc.read().decode(errors="replace").split())[:300]
        if exc.code >= 500:  # not ready (recovering its tables) or failing: try again later
            raise Unreachable(f"the worker at {base} answered {exc.code}: {said}") from exc
        raise ConfigError(f"the worker at {base} answered {exc.code}: {said}") from exc
    except OSError as exc:  # refused, timed out, no such host
        raise Unreachable(f"no worker at {base} ({exc}); start one with `form4 worker`") from exc
    return body


@click.command()
@click.option("--issuer", required=True, help="Issuer CIK (with or without zeros) or ticker.")
@click.option(
    "--owner", default=None, help="Only this owner's positions (CIK or name), their groups' included."
)
@click.option(
    "--as-of", "as_of_text", default=None, help="Reference day of the rolling flows (default today)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON answer (the worker's, or the same offline)."
)
@click.option("--url", default=None, help="Worker base URL (default: http://FORM4_WEB_HOST:FORM4_WEB_PORT).")
@click.option(
    "--offline", is_flag=True, help="Replay FILES here through the ledger instead of asking a worker."
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
def positions(
    issuer: str,
    owner: str | None,
    as_of_text: str | None,
    as_json: bool,
    url: str | None,
    offline: bool,
    files: tuple[Path, ...],
) -> None:
    """Show current holdings, rolling 30/90/365-day flows and reconciliation breaks."""
    s = get_settings()
    try:
        as_of = parse_as_of(as_of_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    if offline:
        if not files:
            raise click.UsageError("--offline needs FILES: filings, or folders of them")
        body, failures = offline_positions(files, issuer, owner, s, as_of)
        if failures:
            # Not positions: said on stderr so that --json output stays the worker's shape.
            click.echo(
                f"form4 positions: {len(failures)} file(s) did not parse (see `form4 parse`)", err=True
            )
    else:
        if files:
            raise click.UsageError("FILES are read only with --offline")
        body = _live_positions(issuer, owner, as_of, url, s)
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    rows = body["positions"]
    if not rows:
        click.echo(f"no positions for {issuer}")
        return
    click.echo(f"flows as of {body.get('as_of') or '-'}")
    click.echo(
        f"{'holder':<28}{'security':<34}{'own':<6}{'shares':>14}{'as of':>12}"
        f"{'net 30d':>12}{'sold $ 90d':>16}{'breaks':>8}"
    )
    for p in rows:
        flows = {f["days"]: f for f in p.get("flows") or []}
        w30, w90 = flows.get(30, {}), flows.get(90, {})
        holder = " + ".join(o["name"] for o in p["holder"]["owners"]) or p["holder"]["key"]
        own = p.get("direct_indirect") or "-"
        if own == "I":
            own = f"I:{(p.get('nature_of_ownership') or '')[:3]}"
        title = p.get("security_title") or p["security"]
        if own == "D" and p.get("vehicle"):  # direct lines held apart: "Common Stock (Held in IRA)"
            title = f"{title} ({p['vehicle']})"
        click.echo(
            f"{holder[:27]:<28}{title[:33]:<34}{own[:5]:<6}"
            f"{_fmt(p.get('shares')):>14}{p.get('as_of') or '-':>12}{_fmt(w30.get('net_shares')):>12}"
            f"{_fmt(w90.get('sold_value_usd')):>16}{len(p.get('breaks') or []):>8}"
        )
