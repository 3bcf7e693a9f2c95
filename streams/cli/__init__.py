"""The ``form4`` command: one entry point, one subcommand per module in this package."""

from __future__ import annotations

import errno
import importlib
from typing import Any, NoReturn

import click
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable
from pydantic import ValidationError
from pydantic_settings import SettingsError

from streams.adapters.kafka_security import KafkaAccessError
from streams.adapters.topics_admin import BrokerNotReady, TopicAdminError
from streams.cli.exit_codes import UNREACHABLE, USAGE

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
    "replay": ("streams.cli.replay", "replay_command"),
    "export": ("streams.cli.export", "export"),
    "dlq": ("streams.cli.dlq", "dlq"),
}

# Settings fields whose values are never echoed back in an error line.
_SECRET_WORDS = ("secret", "token", "password", "webhooks")
# Kafka cannot be reached: one line and exit 3 whatever the command (the commands add no handler).
_UNREACHABLE_ERRORS = (
    KafkaConnectionError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    KafkaAccessError,
    TopicAdminError,
    BrokerNotReady,
    ConnectionError,  # refused or reset: a worker's HTTP port, the local broker's probe (NoLiveBroker)
)


def settings_error_line(exc: ValidationError) -> str:
    """``FORM4_WEB_PORT='x': Input should be a valid integer`` for each bad variable, on one line."""
    parts = []
    for err in exc.errors():
        field, *inner = [str(p) for p in err["loc"]] or ["?"]
        where = f"FORM4_{field.upper()}"
        if inner:  # inside a JSON value (FORM4_WEBHOOKS entry 0, its url): say where, not the value
            where += f" ({'.'.join(inner)})"
        elif not any(w in field for w in _SECRET_WORDS):
            where += f"={err.get('input')!r}"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _fail(ctx: click.Context, message: str, code: int) -> NoReturn:
    sub = ctx.invoked_subcommand or (ctx.protected_args[0] if ctx.protected_args else "")
    click.echo(f"form4{' ' + sub if sub else ''}: {message}", err=True)
    ctx.exit(code)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; user errors become one line and an exit code (exit_codes.py), not a traceback.

        Only errors a user can cause or fix are caught here; anything else is a bug and keeps its traceback.
        """
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            if exc.title != "Settings":
                raise
            _fail(ctx, f"bad setting: {settings_error_line(exc)}", USAGE)
        except SettingsError as exc:  # a complex FORM4_* value (JSON) that does not even parse
            _fail(ctx, f"bad setting: {exc}", USAGE)
        except _UNREACHABLE_ERRORS as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, KafkaAccessError):
                _fail(ctx, detail, UNREACHABLE)  # already says who refused whom
            what = "cannot connect" if isinstance(exc, ConnectionError) else "cannot reach Kafka"
            _fail(ctx, f"{what}: {detail}", UNREACHABLE)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            _fail(ctx, f"address already in use ({exc.strerror}): choose another port", USAGE)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="form4-stream", prog_name="form4", message="%(prog)s %(version)s")
def main() -> None:
    """form4-stream: real-time SEC insider-trading filings on Kafka.

    Every option defaults from a FORM4_* environment variable (see README, "Settings").
    Exit codes: 0 ok, 1 partly failed, 2 usage or configuration, 3 cannot reach a dependency.
    """
