"""``python -m synthetic --seed 1 -n 1000 --format xml --out DIR``: write a batch of synthetic filings."""

from __future__ import annotations

import argparse
import sys
import time

from synthetic.batch import RENDERERS, write_batch


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="stream seed (default 1)")
    parser.add_argument("-n", type=int, default=1000, help="number of filings (default 1000)")
    parser.add_argument(
        "--format",
        action="append",
        choices=sorted(RENDERERS),
        dest="formats",
        help="output format; repeat for several (default xml)",
    )
    parser.add_argument("--out", required=True, help="output folder (one sub-folder per format)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = write_batch(args.out, args.seed, args.n, args.formats or ["xml"])
    elapsed = time.perf_counter() - started
    for fmt, count in counts.items():
        print(f"{fmt}: {count} files")
    print(f"{args.n} filings in {elapsed:.2f}s ({args.n / elapsed:,.0f} filings/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
