"""``form4 positions --issuer CIK|TICKER [--owner CIK]``: the live positions table, from the worker."""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request

import click
import orjson

from streams.config.settings import get_settings


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4f}".rstrip("0")


@click.command()
@click.option("--issuer", required=True, help="Issuer CIK (with or without zeros) or ticker.")
@click.option("--owner", default=None, help="Only this reporting owner's CIK.")
@click.option("--json", "as_json", is_flag=True, help="Print the worker's JSON answer.")
@click.option("--url", default=None, help="Worker base URL (default: http://FORM4_WEB_HOST:FORM4_WEB_PORT).")
def positions(issuer: str, owner: str | None, as_json: bool, url: str | None) -> None:
    """Show current holdings, rolling 30/90/365-day flows and reconciliation breaks."""
    s = get_settings()
    base = url or f"http://{s.web_host}:{s.web_port}"
    query = urllib.parse.urlencode({"issuer": issuer, **({"owner": owner} if owner else {})})
    try:
        with urllib.request.urlopen(f"{base}/positions/?{query}", timeout=10) as resp:  # noqa: S310
            body = orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        click.echo(
            f"form4 positions: worker answered {exc.code}: {exc.read().decode(errors='replace')}", err=True
        )
        sys.exit(1)
    except OSError as exc:
        click.echo(f"form4 positions: no worker at {base} ({exc}); start one with `form4 worker`", err=True)
        sys.exit(2)
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
