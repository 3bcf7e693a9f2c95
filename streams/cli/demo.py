"""``form4 demo``: broker, worker, sample filings in, report out; everything stopped at the end."""

from __future__ import annotations

import sys

import click


@click.command()
def demo() -> None:
    """Run the whole pipeline once on the sample filings and print what came out."""
    from streams.cli.demo_run import run_demo

    sys.exit(run_demo())
