"""One exit-code scheme for every ``form4`` command, and the errors that carry a code.

0 ok; 1 the command ran but part of the work failed (a file skipped, a record not sent); 2 usage or
configuration (a bad option, a bad ``FORM4_*`` value, a topic that does not exist); 3 a dependency
cannot be reached (Kafka, the worker's HTTP port, EDGAR). Scripts can retry on 3 and must fix on 2.
"""

from __future__ import annotations

from typing import IO, Any, Final

import click

OK: Final = 0
PARTLY_FAILED: Final = 1
USAGE: Final = 2  # click's own code for a usage error: one code for bad options and bad settings
UNREACHABLE: Final = 3


class CliError(click.ClickException):
    """A user-facing failure: printed as one line (``form4 CMD: message``), never a traceback."""

    exit_code = USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Named where it is raised: by the time click shows it, the command's context is gone.
        ctx = click.get_current_context(silent=True)
        names: list[str] = []
        while ctx is not None and ctx.parent is not None:  # not the root's: "python -m streams", a runner
            names.insert(0, ctx.info_name or "")
            ctx = ctx.parent
        # "form4 dlq replay" whatever the program was called
        self.command_name = " ".join(["form4", *names])

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{self.command_name}: {self.format_message()}", file=file, err=file is None)


class ConfigError(CliError):
    """Usage or configuration: the user must change something before trying again."""

    exit_code = USAGE


class Unreachable(CliError):
    """A dependency (Kafka, a worker, EDGAR) did not answer: trying again later may work."""

    exit_code = UNREACHABLE


class PartlyFailed(CliError):
    """The command ran, but some of its work failed (said in the message)."""

    exit_code = PARTLY_FAILED


__all__ = [
    "OK",
    "PARTLY_FAILED",
    "UNREACHABLE",
    "USAGE",
    "CliError",
    "ConfigError",
    "PartlyFailed",
    "Unreachable",
]
