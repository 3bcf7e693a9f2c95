"""Options shared by the ``form4`` commands, so each behaves the same everywhere.

* :func:`bootstrap_server_option` adds ``--bootstrap-server HOST:PORT[,HOST:PORT]`` (Kafka tools'
  name) overriding ``FORM4_KAFKA_BOOTSTRAP``; commands then read :func:`cli_settings`.
* :data:`AMOUNT` reads money thresholds as people write them: ``1M``, ``250k``, ``1,000,000``, ``$2.5m``.
* :data:`DATE` reads ``YYYY-MM-DD`` into a :class:`datetime.date`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

import click

from streams.config.settings import Settings, get_settings

F = TypeVar("F", bound=Callable[..., Any])

_BOOTSTRAP_KEY: Final = "form4.bootstrap_server"
_SUFFIXES: Final = {"k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000)}
_AMOUNT: Final = re.compile(
    r"^\$?\s*(?P<number>[0-9][0-9,_]*(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<suffix>k|m|mm|b|bn)?$"
)


def parse_amount(text: str) -> Decimal:
    """``1M`` -> 1000000, ``250k`` -> 250000, ``1,000,000`` -> 1000000, ``$2.5m`` -> 2500000 (exact).

    Suffixes are case-insensitive (k thousand, m/mm million, b/bn billion), as finance writes them.

    Raises:
        ValueError: not a non-negative amount in one of those forms.
    """
    match = _AMOUNT.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not an amount (examples: 1000000, 1,000,000, 250k, 1M, 2.5m)")
    number = match["number"].replace(",", "").replace("_", "")
    try:
        value = Decimal(number)
    except InvalidOperation as exc:  # the pattern should prevent this; said plainly if not
        raise ValueError(f"{text!r} is not an amount") from exc
    suffix = (match["suffix"] or "")[:1]
    return value * _SUFFIXES[suffix] if suffix else value


class AmountType(click.ParamType):
    """A dollar amount: ``1M``, ``250k``, ``1,000,000`` or plain digits, as an exact Decimal."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class DateType(click.ParamType):
    """A calendar date, ``YYYY-MM-DD``."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


AMOUNT: Final = AmountType()
DATE: Final = DateType()


def _check_bootstrap(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    for server in value.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise click.BadParameter(f"{server.strip()!r} is not host:port", ctx, param)
    ctx.meta[_BOOTSTRAP_KEY] = value
    return value


def bootstrap_server_option(func: F) -> F:
    """``--bootstrap-server`` on a command: read it back through :func:`cli_settings`."""
    return click.option(
        "--bootstrap-server",
        metavar="HOST:PORT[,...]",
        default=None,
        expose_value=False,
        is_eager=True,  # before the other options, so their callbacks already see the override
        callback=_check_bootstrap,
        help="Kafka bootstrap servers (default: FORM4_KAFKA_BOOTSTRAP).",
    )(func)


def cli_settings() -> Settings:
    """The settings with the current command's overrides (``--bootstrap-server``) applied."""
    ctx = click.get_current_context(silent=True)
    bootstrap = ctx.meta.get(_BOOTSTRAP_KEY) if ctx is not None else None
    if bootstrap is None:
        return get_settings()
    # Built anew, not model_copy(update=...): the override goes through the same validation as the env.
    return Settings(kafka_bootstrap=bootstrap)


__all__ = [
    "AMOUNT",
    "DATE",
    "AmountType",
    "DateType",
    "bootstrap_server_option",
    "cli_settings",
    "parse_amount",
]
