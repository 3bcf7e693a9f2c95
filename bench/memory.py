"""Worker memory per tracked position, at about 25k, 50k and 100k positions, and recovery after a restart.

One local jar broker and one ``form4 worker`` (its default table store, or ``--store``). Synthetic
filings from a universe large enough that most filings are an insider's first (a Form 3 listing every
holding, so positions grow about four per filing) are pushed in three stages; after each the bench waits
for lag 0 and reads the worker's RSS (/proc/<pid>/status VmRSS) and the positions ``GET /stats`` counts
(else the ``form4_positions_tracked`` gauge: RocksDB's estimate with ``rocksdb://``), and
reports (RSS - RSS of the same worker idle right after /ready) / positions. Then the worker is
stopped (SIGTERM) and started again: the time until /ready (tables recovered from their changelogs)
and the RSS after recovery.

The RSS counts every table, not only positions (filings, seen markers, insiders, ...): the figure is
what the worker costs per position tracked in a backfill like this one. Positions here are young
(mostly one Form 3 row each); a position's size grows with its trading history.

    .venv/bin/python bench/memory.py [--positions 100000] [--partitions 4]
    .venv/bin/python bench/memory.py --positions 5000     # a quick check
    .venv/bin/python bench/memory.py --store memory://    # another table store

Writes bench/results/memory.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    RESULTS_DIR,
    GroupWatch,
    add_setting_overrides,
    cpu_seconds,
    create_topics,
    exit_on_sigterm,
    load_average,
    local_broker,
    machine_info,
    metric_value,
    produce,
    render_all,
    rss_bytes,
    scratch_dir,
    spawn,
    wait_ready,
    worker_pid,
    worker_settings,
    write_result,
)
from streams.config.settings import Settings  # noqa: E402
from synthetic.generator import Generator  # noqa: E402
from synthetic.universe import Universe  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

SEED = 12
STAGES = (0.25, 0.5, 1.0)
"""Fractions of --positions at which memory is read."""
LATER_SECONDS = 15.0
"""RSS is read 3 s after lag 0 and again this long after it (past one FORM4_MEMORY_TRIM_SECONDS)."""
POSITIONS_PER_ISSUER = 9
"""Universe size: one issuer per this many positions wanted. An issuer has about 9 filer groups and a
group's first Form 3 about 4.5 positions, so about half of the groups file in the run and most
filings are first appearances (few filings per position: the backfill stays short)."""
MAX_ISSUERS = 4000
"""synthetic.universe draws unique insider names from 52 x 55 x 19 = 54,340: 4,000 issuers use ~38,000
of them (more and the draw slows to a halt). Above ~50k positions the run therefore needs more filings
per position (groups file again: Forms 4 on positions already tracked)."""


def positions_served(worker: WorkerProcess) -> tuple[float | None, int | None]:
    """(the form4_positions_tracked gauge, the positions /stats counts) of ``worker``."""
    status, body = worker.get("/metrics")
    gauge = metric_value(body.decode(), "form4_positions_tracked") if status == 200 else None
    # /stats reads every value: seconds at 100k positions on disk or compressed.
    status, body = worker.get("/stats", timeout=600)
    counted = int(orjson.loads(body)["positions"]) if status == 200 else None
    return gauge, counted


def settled_rss(pid: int, seconds: float = 3.0) -> int:
    """RSS after ``seconds`` of quiet (the event loop's last allocations of a batch settle)."""
    time.sleep(seconds)
    return rss_bytes(pid)


async def _run(args: argparse.Namespace, tmp: Path, bootstrap: str) -> dict[str, Any]:
    target = args.positions
    t = time.perf_counter()
    universe = Universe(SEED, n_issuers=min(MAX_ISSUERS, max(20, math.ceil(target / POSITIONS_PER_ISSUER))))
    # A Form 3 at every first appearance: each lists the group's holdings, positions grow fast.
    engine = Generator(SEED, universe, per_day=40, form3_rate=1.0)
    print(
        f"universe: {len(universe.issuers)} issuers, {len(universe.groups)} filer groups "
        f"({time.perf_counter() - t:.1f}s)",
        flush=True,
    )
    data_dir = tmp / "worker"
    raw_topic = f"memory-{uuid.uuid4().hex[:8]}.raw"
    overrides = dict(args.set)
    settings = worker_settings(
        bootstrap, data_dir, raw_topic=raw_topic, partitions=args.partitions, store=args.store, **overrides
    )
    await create_topics(settings)
    worker = WorkerProcess(settings=settings, data_dir=data_dir)
    stages: list[dict[str, Any]] = []
    filings = 0
    try:
        async with GroupWatch(settings) as watch:
            spawn(worker)
            await asyncio.to_thread(wait_ready, [worker])
            pid = worker_pid(worker)
            idle = await asyncio.to_thread(settled_rss, pid)
            print(f"worker ready, idle RSS {idle / 2**20:.1f} MiB", flush=True)
            for fraction in STAGES:
                goal = int(target * fraction)
                t = time.perf_counter()
                batch = []
                # The generator's own running positions (its state) estimate the ledger's: the gauge,
                # read after the stage, is the figure reported.
                while len(engine.state.positions) < goal:
                    batch.append(engine.next_filing())
                raws = render_all(batch)
                made = time.perf_counter() - t
                filings += len(raws)
                print(
                    f"stage {goal} positions: {len(raws)} filings generated in {made:.1f}s; pushing and "
                    "waiting for lag 0 (a few minutes at a few hundred filings/s)",
                    flush=True,
                )
                t = time.perf_counter()
                await produce(bootstrap, settings.topic_raw, raws)
                done, progress = await watch.wait_drained(filings, [worker], timeout=3600)
                rss = await asyncio.to_thread(settled_rss, pid)
                # Again past one FORM4_MEMORY_TRIM_SECONDS (default 10 s): memory freed and handed back.
                later = await asyncio.to_thread(settled_rss, pid, LATER_SECONDS - 3.0)
                gauge, counted = positions_served(worker)
                # /stats counts every key; the gauge is RocksDB's estimate with FORM4_STORE=rocksdb://.
                positions = int(counted if counted is not None else gauge or 0)
                stage = {
                    "target_positions": goal,
                    "filings": filings,
                    "filings_parsed": progress.parsed_end,
                    "dead_letters": progress.dlq_end,
                    "positions_tracked_gauge": gauge,
                    "positions_stats": counted,
                    "rss_bytes": rss,
                    "rss_growth_bytes": rss - idle,
                    "bytes_per_position": round((rss - idle) / positions) if positions else None,
                    f"rss_bytes_{LATER_SECONDS:.0f}s": later,
                    f"bytes_per_position_{LATER_SECONDS:.0f}s": round((later - idle) / positions)
                    if positions
                    else None,
                    "stage_seconds": round(done - t, 1),
                    "stage_filings_per_second": round(len(raws) / (done - t), 1),
                    "worker_cpu_seconds": round(cpu_seconds(pid), 1),
                }
                stages.append(stage)
                print(
                    f"  {positions} positions, {filings} filings: RSS {rss / 2**20:.1f} MiB, "
                    f"{stage['bytes_per_position']} bytes/position over idle "
                    f"({stage[f'bytes_per_position_{LATER_SECONDS:.0f}s']} {LATER_SECONDS:.0f} s later) "
                    f"({stage['stage_filings_per_second']} filings/s)",
                    flush=True,
                )
        before_restart = stages[-1]
        t = time.perf_counter()
        await asyncio.to_thread(worker.stop)
        stop_seconds = time.perf_counter() - t
        t = time.perf_counter()
        spawn(worker)
        (ready,) = await asyncio.to_thread(wait_ready, [worker], 1800.0)
        recovery = ready - t
        pid = worker_pid(worker)
        rss_ready = rss_bytes(pid)
        rss_settled = await asyncio.to_thread(settled_rss, pid, 5.0)
        rss_later = await asyncio.to_thread(settled_rss, pid, LATER_SECONDS - 5.0)
        gauge, counted = positions_served(worker)
        restart = {
            "stop_seconds": round(stop_seconds, 2),
            "recovery_seconds_to_ready": round(recovery, 2),
            "rss_bytes_at_ready": rss_ready,
            "rss_bytes_5s_after_ready": rss_settled,
            f"rss_bytes_{LATER_SECONDS:.0f}s_after_ready": rss_later,
            "rss_bytes_before_restart": before_restart["rss_bytes"],
            "positions_after_recovery_gauge": gauge,
            "positions_after_recovery_stats": counted,
            "cpu_seconds_to_ready": round(cpu_seconds(pid), 1),
        }
        print(
            f"restart: ready after {recovery:.1f}s (stop took {stop_seconds:.1f}s), RSS "
            f"{rss_ready / 2**20:.1f} MiB at /ready, {rss_settled / 2**20:.1f} MiB 5 s later, "
            f"{rss_later / 2**20:.1f} MiB {LATER_SECONDS:.0f} s later; "
            f"{counted} positions after recovery",
            flush=True,
        )
    finally:
        worker.stop()
    return {
        "idle_rss_bytes": idle,
        "stages": stages,
        "restart": restart,
        "universe": {"issuers": len(universe.issuers), "filer_groups": len(universe.groups)},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = load_average()
    began = time.perf_counter()
    with scratch_dir("f4b-memory-") as tmp:
        with local_broker(tmp) as bootstrap:
            measured = asyncio.run(_run(args, tmp, bootstrap))
    return {
        "benchmark": "memory",
        "machine": machine_info()
        | {"load_average_before": load_before, "load_average_after": load_average()},
        "settings": {
            "positions": args.positions,
            "partitions": args.partitions,
            "seed": SEED,
            "store": args.store,
            "overrides": dict(args.set),
            "generator": "synthetic.generator.Generator(seed, Universe(seed, "
            "n_issuers=min(4000, positions/9)), per_day=40, form3_rate=1.0), complete submissions",
            "rss": "VmRSS of the worker process, read 3 s after lag 0 and again 15 s after it; per "
            "position = (RSS - idle RSS 3 s after /ready) / positions counted by GET /stats (else "
            "the form4_positions_tracked gauge)",
        },
        **measured,
        "wall_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--positions", type=int, default=100_000, help="positions at the last stage (default 100000)"
    )
    parser.add_argument("--partitions", type=int, default=4, help="partitions of every topic (default 4)")
    parser.add_argument(
        "--store",
        default=Settings.model_fields["store"].default,
        choices=["compact://", "memory://", "rocksdb://"],
        help="FORM4_STORE of the worker (default: the worker's default)",
    )
    add_setting_overrides(parser)
    parser.add_argument(
        "--out", type=Path, default=None, help="result file (default bench/results/memory.json)"
    )
    args = parser.parse_args()
    exit_on_sigterm()
    result = run(args)
    path = write_result(args.out or RESULTS_DIR / "memory.json", result)
    last = result["stages"][-1]
    print(
        f"{last['positions_tracked_gauge']} positions: {last['bytes_per_position']} bytes/position over "
        f"idle; restart ready in {result['restart']['recovery_seconds_to_ready']}s; {path}"
    )


if __name__ == "__main__":
    main()
