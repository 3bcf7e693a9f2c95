"""Run the benchmarks and write their JSON results under bench/results/.

Usage::

    .venv/bin/python bench/run.py             # parsing (bench/parse_bench.py)
    .venv/bin/python bench/run.py --broker    # ... and broker cold start (bench/broker_startup.py, Java)
    .venv/bin/python bench/run.py --pipeline  # ... and the live worker, 1 and 2 processes
                                              #     (bench/pipeline_bench.py)
    .venv/bin/python bench/run.py --quick     # fewer rounds, smaller synthetic batch (a smoke run)

Each benchmark runs in its own process: the parsing bench blocks the network for its whole process
(edgartools must not reach the SEC), while the broker bench needs local sockets.
BENCHMARKS.md is written by hand from the JSON files; this script only prints where they are.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _run(script: str, args: list[str]) -> int:
    cmd = [sys.executable, str(BENCH / script), *args]
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description="Run form4-stream benchmarks")
    parser.add_argument("--broker", action="store_true", help="also time broker cold starts (Java, ~1 min)")
    parser.add_argument(
        "--pipeline", action="store_true", help="also the live pipeline with 1 and 2 workers (Java, ~3 min)"
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds, 500 synthetic filings")
    parser.add_argument("--no-edgartools", action="store_true", help="time our parser only")
    args = parser.parse_args()
    quick = ["--rounds", "2", "--synthetic", "500", "--edgartools-synthetic", "100"]
    parse_args = list(quick) if args.quick else []
    if args.no_edgartools:
        parse_args.append("--no-edgartools")
    failed = []
    if _run("parse_bench.py", parse_args) != 0:
        failed.append("parse_bench")
    if args.broker and _run("broker_startup.py", []) != 0:
        failed.append("broker_startup")
    for workers in ("1", "2") if args.pipeline else ():
        if _run("pipeline_bench.py", ["--workers", workers]) != 0:
            failed.append(f"pipeline_bench --workers {workers}")
    print(f"results in {BENCH / 'results'}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
