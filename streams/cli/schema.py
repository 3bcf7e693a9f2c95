"""``form4 schema NAME``: print the committed JSON Schema of a public contract."""

from __future__ import annotations

import sys

import click

from streams.domain.schemas import CONTRACTS, committed, resolve


@click.command()
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the contracts (name, wire id, file).")
def schema(name: str | None, list_: bool) -> None:
    """Print the JSON Schema NAME: transaction, alert or dead_letter (or a full id such as form4.alert/1)."""
    if list_ or name is None:
        for contract in CONTRACTS.values():
            click.echo(f"{contract.name:<12} {contract.wire_id:<22} {contract.file_name}")
        return
    try:
        contract = resolve(name)
    except KeyError as exc:
        click.echo(f"form4 schema: {exc.args[0]}", err=True)
        sys.exit(2)
    click.echo(committed(contract.name), nl=False)
