"""CPU per filing and memory per position of the pure ledger (issue 12), without Kafka or Faust.

Filings are made as the pipeline makes them (synthetic generator -> complete submission -> the parse
agent's ``parsed_filing``) and parsed before anything is timed; then each round applies them, in
order, to a fresh ``Ledger(Stores(), Settings())`` with ``apply_now``. CPU is ``time.process_time``
with the garbage collector paused inside a round (best and median of the rounds). Memory is what
tracemalloc sees the stores keep once every filing is applied, per position, and how it splits by
store (each store's figure is what dropping it frees, dropped in the order listed).

Cases:

* ``stream``: ``generate(seed, n)`` on its default universe (many issuers, ~3 years);
* ``long``: one issuer, few owners, one filing per business day for years: CPU per filing of each
  chunk of filings shows whether an update costs more as a position's history grows;
* ``wide`` (``--wide N``, off by default): a universe wide enough for many positions, for the memory
  per position at scale.

    .venv/bin/python bench/ledger_bench.py [-n 5000] [--long 5000] [--wide 0] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import pickle
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.config.settings import Settings  # noqa: E402
from streams.domain.ledger import Ledger, Stores  # noqa: E402
from streams.domain.parsed import parsed_filing  # noqa: E402
from streams.domain.records import ParsedFiling  # noqa: E402
from streams.domain.state import (  # noqa: E402
    AlertState,
    DaySales,
    FilingMeta,
    GroupState,
    InsiderHistory,
    IssuerAlerts,
    Position,
)
from synthetic.generator import generate  # noqa: E402
from synthetic.render_submission import render_submission  # noqa: E402
from synthetic.universe import Universe  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ledger.json"
NOW = datetime(2026, 1, 2, tzinfo=UTC)
"""``created_at`` of the alerts: fixed, so every round does the same work."""
STORE_ORDER = ("positions", "filings", "groups", "aliases", "sales", "insiders", "alerts", "issuer_alerts")
RECORDS: dict[str, Any] = {
    "filings": FilingMeta,
    "groups": GroupState,
    "positions": Position,
    "sales": DaySales,
    "issuer_alerts": IssuerAlerts,
    "alerts": AlertState,
    "insiders": InsiderHistory,
}
"""Store -> its record type (as ``streams.worker.state_codecs`` registers them)."""


def _filings(
    kind: str, seed: int, n: int, settings: Settings, cache: Path | None, **gen: Any
) -> list[ParsedFiling]:
    """``n`` synthetic filings as the parse agent publishes them (cached across runs when asked)."""
    tag = hashlib.sha256(repr((kind, seed, n, sorted(gen.items()))).encode()).hexdigest()[:16]
    path = cache / f"ledger-{kind}-{tag}.pickle" if cache else None
    if path is not None and path.exists():
        loaded: list[ParsedFiling] = pickle.loads(path.read_bytes())
        return loaded
    out = [
        parsed_filing(render_submission(f), settings, f.accession_number) for f in generate(seed, n, **gen)
    ]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out))
    return out


def _apply_timed(
    filings: Sequence[ParsedFiling], settings: Settings, chunk: int
) -> tuple[float, list[float]]:
    """One round: CPU seconds in all, and per ``chunk`` filings, GC paused."""
    ledger = Ledger(Stores(), settings)
    gc.collect()
    gc.disable()
    try:
        marks = [time.process_time()]
        for i, pf in enumerate(filings, 1):
            ledger.apply_now(pf, NOW)
            if i % chunk == 0 or i == len(filings):
                marks.append(time.process_time())
    finally:
        gc.enable()
    return marks[-1] - marks[0], [b - a for a, b in zip(marks, marks[1:], strict=False)]


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory(filings: Sequence[ParsedFiling], settings: Settings) -> dict[str, Any]:
    """What the stores keep once ``filings`` are applied: in all, per position, by store; as the
    ledger built them (values shared between stores) and as a restarted worker reads them back from
    their changelogs (each value decoded on its own)."""
    # Warm up first: regex and lru caches, interned strings... are the process's, not the state's.
    warm = Ledger(Stores(), settings)
    for pf in filings[:200]:
        warm.apply_now(pf, NOW)
    del warm
    gc.collect()
    rss_before = _rss()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    stores = Stores()
    ledger = Ledger(stores, settings)
    for pf in filings:
        ledger.apply_now(pf, NOW)
    del ledger
    gc.collect()
    total = tracemalloc.get_traced_memory()[0] - base
    rss_growth = _rss() - rss_before
    counts = {f.name: len(getattr(stores, f.name)) for f in fields(stores)}
    positions = counts["positions"]
    # The changelogs: every value as its table's codec writes it (aliases are plain JSON strings).
    wire = {
        name: [(k, json.dumps(v).encode() if name == "aliases" else v.to_wire()) for k, v in store.items()]
        for name in STORE_ORDER
        if (store := getattr(stores, name)) is not None
    }
    live = {"bytes_total": total, **_by_store(stores, positions)}
    tracemalloc.stop()
    del stores
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    recovered = Stores()
    for name, records in wire.items():
        target = getattr(recovered, name)
        for key, data in records:
            target[key] = json.loads(data) if name == "aliases" else RECORDS[name].from_wire(data)
    del wire
    gc.collect()
    again = tracemalloc.get_traced_memory()[0] - base
    result = {
        "stores": counts,
        "bytes_per_position": round(total / positions) if positions else None,
        "recovered_bytes_per_position": round(again / positions) if positions else None,
        "rss_growth_bytes_per_position": round(rss_growth / positions) if positions else None,
        "live": live,
        "recovered": {"bytes_total": again, **_by_store(recovered, positions)},
        "note": "tracemalloc bytes kept by the stores after a warm-up: as the ledger built them (live) "
        "and decoded from their wire encodings (recovered, as after a restart); rss growth includes "
        "tracemalloc's own bookkeeping; by store: what dropping it frees, dropped in this order",
    }
    tracemalloc.stop()
    return result


def _by_store(stores: Stores, positions: int) -> dict[str, Any]:
    by_store: dict[str, int] = {}
    for name in STORE_ORDER:
        before = tracemalloc.get_traced_memory()[0]
        setattr(stores, name, {})
        gc.collect()
        by_store[name] = before - tracemalloc.get_traced_memory()[0]
    return {
        "bytes_by_store": by_store,
        "bytes_per_position_by_store": {k: round(v / positions) for k, v in by_store.items()}
        if positions
        else {},
    }


def _rounds(
    filings: Sequence[ParsedFiling], settings: Settings, rounds: int, chunk: int
) -> tuple[list[float], list[list[float]]]:
    totals, chunks = [], []
    for _ in range(rounds):
        total, per_chunk = _apply_timed(filings, settings, chunk)
        totals.append(total)
        chunks.append(per_chunk)
    return totals, chunks


def _ms(seconds: float, n: int) -> float:
    return round(seconds / n * 1000, 4)


def _profile(filings: Sequence[ParsedFiling], settings: Settings, top: int) -> str:
    ledger = Ledger(Stores(), settings)
    prof = cProfile.Profile()
    prof.enable()
    for pf in filings:
        ledger.apply_now(pf, NOW)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def _case(
    name: str,
    filings: list[ParsedFiling],
    settings: Settings,
    args: argparse.Namespace,
    chunk: int,
    memory: bool = True,
    timed: bool = True,
) -> dict[str, Any]:
    n = len(filings)
    out: dict[str, Any] = {"filings": n}
    if timed:
        totals, chunks = _rounds(filings, settings, args.rounds, chunk)
        out["cpu_ms_per_filing"] = {
            "best": _ms(min(totals), n),
            "median": _ms(statistics.median(totals), n),
            "rounds": [_ms(t, n) for t in totals],
        }
        sizes = [min(chunk, n - i) for i in range(0, n, chunk)]
        best = [min(c[i] for c in chunks) for i in range(len(sizes))]
        out["cpu_ms_per_filing_by_chunk"] = {
            "chunk": chunk,
            "best": [_ms(t, s) for t, s in zip(best, sizes, strict=True)],
        }
        print(
            f"{name}: {n} filings, CPU per filing best {out['cpu_ms_per_filing']['best']} ms, "
            f"median {out['cpu_ms_per_filing']['median']} ms; by chunk of {chunk}: "
            f"{out['cpu_ms_per_filing_by_chunk']['best']}",
            flush=True,
        )
    if memory:
        out["memory"] = _memory(filings, settings)
        mem = out["memory"]
        print(
            f"{name}: {mem['stores']['positions']} positions; bytes per position (all stores): "
            f"{mem['bytes_per_position']} live, {mem['recovered_bytes_per_position']} recovered; by store "
            f"live {mem['live']['bytes_per_position_by_store']}, "
            f"recovered {mem['recovered']['bytes_per_position_by_store']}",
            flush=True,
        )
    if args.profile and timed:
        print(_profile(filings, settings, args.profile_top))
    return out


def _git() -> dict[str, Any]:
    def run(*cmd: str) -> str:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": run("git", "rev-parse", "HEAD"), "dirty": bool(run("git", "status", "--porcelain"))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="filings of the stream case")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long", type=int, default=5000, help="filings of the long-history case (0: skip)")
    parser.add_argument("--long-issuers", type=int, default=1, help="issuers of the long-history case")
    parser.add_argument("--wide", type=int, default=0, help="filings of the wide (memory) case (0: skip)")
    parser.add_argument("--wide-issuers", type=int, default=4000)
    parser.add_argument("--chunk", type=int, default=1000, help="filings per CPU chunk")
    parser.add_argument("--cache", type=Path, default=None, help="keep parsed filings here between runs")
    parser.add_argument("--no-memory", action="store_true", help="time only (quicker)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one stream round")
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results ('-' for none)")
    args = parser.parse_args(argv)
    settings = Settings()
    started = os.getloadavg()
    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in started],
        "rounds": args.rounds,
    }
    stream = _filings("stream", args.seed, args.n, settings, args.cache)
    memory = not args.no_memory
    result["stream"] = {"seed": args.seed, **_case("stream", stream, settings, args, args.chunk, memory)}
    del stream
    if args.long:
        # One issuer (5-10 insiders, maybe a fund), one filing per business day from 2006: each
        # position's history runs over many years.
        universe = Universe(args.seed, n_issuers=args.long_issuers, start=date(2006, 1, 2))
        longs = _filings("long", args.seed, args.long, settings, args.cache, universe=universe, per_day=1)
        long_args = argparse.Namespace(**{**vars(args), "profile": False})
        case = _case("long", longs, settings, long_args, args.chunk, memory)
        chunks = case["cpu_ms_per_filing_by_chunk"]["best"]
        case["first_over_last_chunk"] = round(chunks[-1] / chunks[0], 2) if chunks and chunks[0] else None
        print(f"long: last chunk / first chunk CPU per filing = {case['first_over_last_chunk']}")
        result["long"] = {"seed": args.seed, "issuers": args.long_issuers, **case}
        del longs
    if args.wide:
        universe = Universe(args.seed, n_issuers=args.wide_issuers)
        wide = _filings("wide", args.seed, args.wide, settings, args.cache, universe=universe)
        wide_args = argparse.Namespace(**{**vars(args), "profile": False})
        result["wide"] = {
            "seed": args.seed,
            "issuers": args.wide_issuers,
            **_case("wide", wide, settings, wide_args, args.chunk, timed=False),
        }
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
