"""Run the benchmarks and write their JSON results under bench/results/.

Usage::

    .venv/bin/python bench/run.py               # worker vs the bare-loop yardstick (bench/throughput.py)
    .venv/bin/python bench/run.py --parse       # parsing (bench/parse_bench.py)
    .venv/bin/python bench/run.py --broker      # broker cold start (bench/broker_startup.py, Java)
    .venv/bin/python bench/run.py --pipeline    # the live worker, 1 and 2 processes (bench/pipeline_bench.py)
    .venv/bin/python bench/run.py --scaleout    # 1, 2, 3 workers and one stopped (bench/scaleout.py)
    .venv/bin/python bench/run.py --memory      # RSS per position, restart (bench/memory.py, ~10 min)
    .venv/bin/python bench/run.py --all         # every one of them
    .venv/bin/python bench/run.py --quick ...   # smaller runs of whatever is selected (a smoke run)

Without a selection, the throughput bench runs (what ``make bench`` runs; it ends with the ratio of the
worker's throughput to the yardstick's). Each benchmark runs in its own process: the parsing bench
blocks the network for its whole process (edgartools must not reach the SEC), the others need local
sockets. BENCHMARKS.md is written by hand from the JSON files; this script only prints where they are.
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
    parser.add_argument("--throughput", action="store_true", help="worker vs yardstick (the default, Java)")
    parser.add_argument("--parse", action="store_true", help="parsing per format, vs edgartools")
    parser.add_argument("--broker", action="store_true", help="broker cold starts (Java, ~1 min)")
    parser.add_argument(
        "--pipeline", action="store_true", help="the live pipeline with 1 and 2 workers (Java)"
    )
    parser.add_argument(
        "--scaleout", action="store_true", help="1, 2, 3 workers in a group, one stopped (Java)"
    )
    parser.add_argument("--memory", action="store_true", help="worker RSS per position, restart (Java)")
    parser.add_argument("--all", action="store_true", help="every benchmark above")
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    parser.add_argument("--no-edgartools", action="store_true", help="parsing bench: time our parser only")
    args = parser.parse_args()
    chosen = {
        name: args.all or getattr(args, name)
        for name in ("throughput", "parse", "broker", "pipeline", "scaleout", "memory")
    }
    if not any(chosen.values()):
        chosen["throughput"] = True
    plan: list[tuple[str, list[str]]] = []
    if chosen["parse"]:
        parse_args = (
            ["--rounds", "2", "--synthetic", "500", "--edgartools-synthetic", "100"] if args.quick else []
        )
        plan.append(("parse_bench.py", parse_args + (["--no-edgartools"] if args.no_edgartools else [])))
    if chosen["broker"]:
        plan.append(("broker_startup.py", []))
    if chosen["pipeline"]:
        plan += [("pipeline_bench.py", ["--workers", w]) for w in ("1", "2")]
    if chosen["throughput"]:
        plan.append(("throughput.py", ["--filings", "1000", "--rounds", "2"] if args.quick else []))
    if chosen["scaleout"]:
        plan.append(("scaleout.py", ["--filings", "1000"] if args.quick else []))
    if chosen["memory"]:
        plan.append(("memory.py", ["--positions", "5000"] if args.quick else []))
    failed = [f"{script} {' '.join(extra)}".strip() for script, extra in plan if _run(script, extra) != 0]
    print(f"results in {BENCH / 'results'}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
