"""The ``form4`` command: one entry point, one subcommand per module in this package."""

from __future__ import annotations

import importlib

import click

# (module, attribute) of each subcommand; imported lazily so `form4 parse` never loads Faust.
_COMMANDS: dict[str, tuple[str, str]] = {
    "broker": ("streams.cli.broker", "broker"),
    "topics": ("streams.cli.topics", "topics"),
    "worker": ("streams.cli.worker", "worker"),
    "parse": ("streams.cli.parse", "parse"),
    "push": ("streams.cli.push", "push"),
    "demo": ("streams.cli.demo", "demo"),
    "positions": ("streams.cli.positions", "positions"),
    "edgar": ("streams.cli.edgar", "edgar"),
    "alerts": ("streams.cli.alerts", "alerts"),
    "lag": ("streams.cli.lag", "lag"),
    "schema": ("streams.cli.schema", "schema"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """form4-stream: real-time SEC insider-trading filings on Kafka.

    Every option defaults from a FORM4_* environment variable (see README, "Settings").
    """
