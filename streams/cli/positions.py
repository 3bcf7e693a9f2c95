"""``form4 positions --issuer CIK|TICKER [--owner CIK] [--offline FILES...]``: current holdings.

Live, the positions table of a running worker (``GET /positions/``). With ``--offline``, the same
answer computed here: FILES (filings, or folders of them) are parsed and applied to an in-memory
ledger in the order given, exactly as the worker would, with no broker or worker at all.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click
import orjson

from streams.adapters.producer import iter_files
from streams.config.settings import Settings, get_settings
from streams.domain.offline import replay
from streams.domain.views import find_positions


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4f}".rstrip("0")


def offline_positions(
    files: tuple[Path, ...], issuer: str, owner: str | None, settings: Settings
) -> tuple[dict[str, Any], dict[str, str]]:
    """The worker's ``GET /positions/`` answer over FILES replayed here, and the files that did not parse."""
    done = replay(((str(p), p.read_bytes()) for p in iter_files(files)), settings)
    found = find_positions(done.stores.positions, issuer, owner)
    return {"issuer": issuer, "count": len(found), "positions": found}, done.failures


def _live_positions(issuer: str, owner: str | None, url: str | None, settings: Settings) -> dict[str, Any]:
    base = url or f"http://{settings.web_host}:{settings.web_port}"
    query = urllib.parse.urlencode({"issuer": issuer, **({"owner": owner} if owner else {})})
    try:
        with urllib.request.urlopen(f"{base}/positions/?{query}", timeout=10) as resp:  # noqa: S310
            body: dict[str, Any] = orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        click.echo(
            f"form4 positions: worker answered {exc.code}: {exc.read().decode(errors='replace')}", err=True
        )
        sys.exit(1)
    except OSError as exc:
        click.echo(f"form4 positions: no worker at {base} ({exc}); start one with `form4 worker`", err=True)
        sys.exit(2)
    return body


@click.command()
@click.option("--issuer", required=True, help="Issuer CIK (with or without zeros) or ticker.")
@click.option("--owner", default=None, help="Only this reporting owner's CIK.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON answer (the worker's, or the same offline)."
)
@click.option("--url", default=None, help="Worker base URL (default: http://FORM4_WEB_HOST:FORM4_WEB_PORT).")
@click.option(
    "--offline", is_flag=True, help="Replay FILES here through the ledger instead of asking a worker."
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
def positions(
    issuer: str, owner: str | None, as_json: bool, url: str | None, offline: bool, files: tuple[Path, ...]
) -> None:
    """Show current holdings, rolling 30/90/365-day flows and reconciliation breaks."""
    s = get_settings()
    if offline:
        if not files:
            raise click.UsageError("--offline needs FILES: filings, or folders of them")
        body, failures = offline_positions(files, issuer, owner, s)
        if failures:
            # Not positions: said on stderr so that --json output stays the worker's shape.
            click.echo(
                f"form4 positions: {len(failures)} file(s) did not parse (see `form4 parse`)", err=True
            )
    else:
        if files:
            raise click.UsageError("FILES are read only with --offline")
        body = _live_positions(issuer, owner, url, s)
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    rows = body["positions"]
    if not rows:
        click.echo(f"no positions for {issuer}")
        return
    click.echo(
        f"{'owner':<28}{'security':<34}{'own':<6}{'shares':>14}{'as of':>12}"
        f"{'net 30d':>12}{'sold $ 90d':>16}{'breaks':>8}"
    )
    for p in rows:
        w30 = p.get("windows", {}).get("30", {})
        w90 = p.get("windows", {}).get("90", {})
        click.echo(
            f"{(p['owner_name'] or p['owner'])[:27]:<28}{p['security'][:33]:<34}{p['ownership'][:5]:<6}"
            f"{_fmt(p.get('shares')):>14}{p.get('as_of') or '-':>12}{_fmt(w30.get('net_shares')):>12}"
            f"{_fmt(w90.get('sold_value_usd')):>16}{len(p.get('breaks') or []):>8}"
        )
