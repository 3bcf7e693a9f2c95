"""``form4 broker start|stop|status``: the local jar-based Kafka broker of streams.localbroker.broker."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from streams.localbroker.broker import BrokerError, LocalBroker

P = ParamSpec("P")
R = TypeVar("R")

#: ``form4 broker status`` exit code when no broker is up (0 = up), like LSB init scripts.
EXIT_DOWN = 3


def _one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a BrokerError as one line on stderr and exit 1: no traceback for expected failures."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BrokerError as exc:
            click.echo(f"form4 broker: {exc.message}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
def broker() -> None:
    """Run a local single-node Kafka (KRaft) from Maven Central jars, no Docker.

    Listens on the port of FORM4_KAFKA_BOOTSTRAP; keeps data, log and pid under FORM4_DATA_DIR/broker.
    """


@broker.command()
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for the broker to answer.")
@_one_line_errors
def start(timeout: float) -> None:
    """Start the broker (no-op when it is already running)."""
    info = LocalBroker().start(timeout=timeout)
    if info.already_running:
        click.echo(f"already running on {info.bootstrap} (pid {info.pid}, log {info.log_path})")
    else:
        click.echo(
            f"started Kafka {info.kafka_version} on {info.bootstrap} (pid {info.pid}) "
            f"in {info.startup_seconds:.1f}s; log {info.log_path}"
        )


@broker.command()
@click.option("--timeout", default=30.0, show_default=True, help="Seconds before SIGTERM becomes SIGKILL.")
@_one_line_errors
def stop(timeout: float) -> None:
    """Stop the broker (no-op when it is not running)."""
    pid = LocalBroker().stop(timeout=timeout)
    click.echo(f"stopped (pid {pid})" if pid else "not running")


@broker.command()
@_one_line_errors
def status() -> None:
    """Print one status line; exit 0 when the broker is up, 3 when it is not."""
    state = LocalBroker().status()
    if state.up:
        uptime = f", up {state.uptime_seconds:.0f}s" if state.uptime_seconds is not None else ""
        click.echo(f"up on 127.0.0.1:{state.port} (pid {state.pid}{uptime})")
        return
    pid = f" (pid {state.pid})" if state.pid else ""
    click.echo(f"{state.state} on 127.0.0.1:{state.port}{pid}: {state.detail}")
    sys.exit(EXIT_DOWN)


@broker.command()
@_one_line_errors
def jars() -> None:
    """Fetch the broker jars from Maven Central into the cache (once; later runs are instant)."""
    from streams.localbroker.support import ensure_jars

    libs = ensure_jars()
    click.echo(f"broker jars ready in {libs} ({sum(1 for _ in libs.glob('*.jar'))} jars)")
