"""Scale-out: 1, 2 and 3 worker processes in one consumer group on one preloaded backlog, and 3 workers
of which one is stopped (SIGTERM) once ~40% of the backlog is committed.

One local jar broker; N synthetic complete submissions (keyed by accession number) are produced to a
raw topic with 6 partitions (1, 2 and 3 workers divide it evenly) before any worker starts. Each run is
a fresh group (app id, changelog and output topics) of K workers sharing its settings, each with its
own data dir and web port, all reading the same preloaded raw topic. The workers are launched
together; the clock runs from the first /ready 200 (that worker starts consuming at once) to the
group's lag 0 on the raw and parsed topics.

After every run the final positions are checked against ``streams.domain.offline.replay`` of the same
filings, compared as tests/integration/test_corpus_pipeline.py does (``/positions/all?as_of=`` against
``public_position`` of the replay's positions, through JSON). Each worker serves /positions/all from
its own table only, so the live workers' answers are merged; a worker's table may also still hold
positions of partitions it no longer owns (see ``served_positions``), so the merge takes each position
from the worker that owns its partition, and the naive union is reported beside it.

    .venv/bin/python bench/scaleout.py [--filings 5000] [--workers 1 2 3] [--stop-runs 1]

Writes bench/results/scaleout.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    RESULTS_DIR,
    GroupWatch,
    Raw,
    cpu_seconds,
    create_topics,
    exit_on_sigterm,
    load_average,
    local_broker,
    machine_info,
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
from streams.adapters.consume import read_all  # noqa: E402
from streams.adapters.lag import group_lag  # noqa: E402
from streams.config.settings import Settings  # noqa: E402
from streams.domain.offline import replay  # noqa: E402
from streams.domain.views import public_position  # noqa: E402
from streams.localbroker.support import free_port  # noqa: E402
from synthetic.generator import generate  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

SEED = 99
PARTITIONS = 6
AS_OF = date(2026, 1, 2)
"""A fixed reference day for rolling flows, as in tests/integration/test_corpus_pipeline.py."""


def expected_positions(raws: list[Raw], settings: Settings) -> dict[str, Any]:
    """The offline ledger's positions as the worker's page serves them (through JSON)."""
    named = [((key or b"").decode() + ".txt", raw) for key, raw in raws]
    offline = replay(named, settings)
    if offline.failures:
        print(f"offline replay: {len(offline.failures)} filings did not parse", flush=True)
    served = {k: public_position(k, p, AS_OF) for k, p in offline.stores.positions.items() if p}
    through_json: dict[str, Any] = orjson.loads(orjson.dumps(served))
    return through_json


async def changelog_partitions(settings: Settings) -> dict[str, int]:
    """Position key -> partition of the positions table's changelog (the partition that owns it)."""
    owner: dict[str, int] = {}
    for record in await read_all(settings, f"{settings.app_id}-positions-changelog"):
        if record.key is None:
            continue
        text = record.key.decode()
        # Faust writes str keys raw or as JSON, depending on its key serializer: accept both.
        key = orjson.loads(text) if text.startswith('"') else text
        owner[key] = record.partition
    return owner


async def lost_filings(settings: Settings) -> dict[str, Any]:
    """Raw filings that reached neither the parsed topic nor the dead letters when the run ended, by
    accession number ("lost": for good if the group committed past them, until a restart if not).

    Counted by id, not by the topics' sizes: a redelivered filing parsed twice would hide a lost one.
    """
    parsed = await read_all(settings, settings.topic_parsed)
    ids = {str(orjson.loads(r.value).get("filing_id")) for r in parsed}
    dead = {r.key.decode() for r in await read_all(settings, settings.topic_dlq) if r.key}
    lost = [
        {"accession": r.key.decode(), "raw_partition": r.partition, "raw_offset": r.offset}
        for r in await read_all(settings, settings.topic_raw)
        if r.key and r.key.decode() not in ids and r.key.decode() not in dead
    ]
    return {
        "parsed_records": len(parsed),
        "parsed_distinct": len(ids),
        "parsed_twice": len(parsed) - len(ids),
        "dead_letters": len(dead),
        "lost": len(lost),
        "lost_filings": lost[:50],
    }


def served_positions(worker: WorkerProcess, timeout: float = 60.0) -> tuple[list[int], dict[str, Any]]:
    """(parsed-topic partitions the worker holds, every position its /positions/all serves).

    Read once its /ready answers 200, so that its assignment is settled; /positions/all lists the
    worker's whole in-memory table, which after a rebalance may still hold positions it wrote for a
    partition since moved to another worker.
    """
    deadline = time.monotonic() + timeout
    while True:
        status, body = worker.get("/ready")
        if status == 200:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker on port {worker.settings.web_port} not ready: {body[:300]!r}")
        time.sleep(0.5)
    ready = orjson.loads(body)
    held = sorted(
        p["partition"] for p in ready["assigned_partitions"] if p["topic"] == worker.settings.topic_parsed
    )
    status, body = worker.get(f"/positions/all?as_of={AS_OF.isoformat()}")
    if status != 200:
        raise RuntimeError(
            f"worker on port {worker.settings.web_port}: /positions/all {status} {body[:300]!r}"
        )
    positions = {p["key"]: p for p in orjson.loads(body)["positions"]}
    return held, positions


def compare(expected: Mapping[str, Any], got: Mapping[str, Any]) -> dict[str, Any]:
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    differ = sorted(k for k in set(expected) & set(got) if expected[k] != got[k])
    return {
        "equal": not (missing or extra or differ),
        "expected": len(expected),
        "served": len(got),
        "missing": len(missing),
        "extra": len(extra),
        "differ": len(differ),
        "examples": {"missing": missing[:3], "extra": extra[:3], "differ": differ[:3]},
    }


async def check_positions(
    workers: list[WorkerProcess], settings: Settings, expected: Mapping[str, Any]
) -> dict[str, Any]:
    owner = await changelog_partitions(settings)
    merged: dict[str, Any] = {}
    union: dict[str, list[Any]] = {}
    per_worker = []
    for w in workers:
        held, served = await asyncio.to_thread(served_positions, w)
        mine = {k: v for k, v in served.items() if owner.get(k) in held}
        merged.update(mine)
        for k, v in served.items():
            union.setdefault(k, []).append(v)
        per_worker.append(
            {
                "web_port": w.settings.web_port,
                "parsed_partitions": held,
                "served": len(served),
                "of_its_partitions": len(mine),
                # Positions of partitions this worker no longer holds, still in its table.
                "of_other_partitions": len(served) - len(mine),
            }
        )
    twice = {k: vs for k, vs in union.items() if len(vs) > 1}
    naive = {k: vs[-1] for k, vs in union.items()}
    return {
        "merged_by_owner": compare(expected, merged),
        "naive_union": compare(expected, naive)
        | {
            "served_by_several_workers": len(twice),
            "served_by_several_workers_differently": sum(
                1 for vs in twice.values() if any(v != vs[0] for v in vs[1:])
            ),
        },
        "workers": per_worker,
    }


async def group_run(
    bootstrap: str, tmp: Path, raw_topic: str, n: int, count: int, stop_one: bool, expected: Mapping[str, Any]
) -> dict[str, Any]:
    base = tmp / f"group-{uuid.uuid4().hex[:8]}"
    settings = worker_settings(bootstrap, base, raw_topic=raw_topic, partitions=PARTITIONS)
    await create_topics(settings)
    workers = [
        WorkerProcess(
            settings=settings if i == 0 else settings.model_copy(update={"web_port": free_port()}),
            data_dir=base / f"w{i}",
        )
        for i in range(count)
    ]
    stopped: dict[str, Any] | None = None
    try:
        async with GroupWatch(settings) as watch:
            for w in workers:
                spawn(w)
            ready = await asyncio.to_thread(wait_ready, workers)
            first = min(ready)
            live = list(workers)
            if stop_one:
                # Stop the last-started worker once ~40% of the backlog is committed: a clean leave
                # (SIGTERM), its partitions move to the others, which recover them from the changelogs.
                while (progress := await watch.read()).raw_committed < 0.4 * n:
                    for w in workers:
                        if w.proc is not None and w.proc.poll() is not None:
                            raise RuntimeError(f"worker on port {w.settings.web_port} died:\n{w.log_tail()}")
                    await asyncio.sleep(0.25)
                victim = workers[-1]
                at = time.perf_counter()
                await asyncio.to_thread(victim.stop)
                live.remove(victim)
                stopped = {
                    "web_port": victim.settings.web_port,
                    "at_seconds": round(at - first, 2),
                    "raw_committed_then": progress.raw_committed,
                    "stop_seconds": round(time.perf_counter() - at, 2),
                }
            stalled: str | None = None
            stalled_partitions: list[dict[str, Any]] = []
            try:
                done, progress = await watch.wait_drained(n, live, stall=90.0)
            except TimeoutError as exc:
                # A group that stops committing (a gap in a partition's offsets) is a result of this
                # run, not a reason to lose the others: recorded with the partitions still lagging.
                done, progress = time.perf_counter(), await watch.read()
                stalled = str(exc).splitlines()[0]
                lag = await group_lag(settings, [settings.topic_raw, settings.topic_parsed])
                stalled_partitions = [asdict(p) for p in lag.partitions if p.lag]
            readings = [
                {
                    "web_port": w.settings.web_port,
                    "cpu_seconds": cpu_seconds(worker_pid(w)),
                    "rss_bytes": rss_bytes(worker_pid(w)),
                }
                for w in live
            ]
        check = await check_positions(live, settings, expected)
        lost = await lost_filings(settings)
    finally:
        for w in workers:
            w.stop()
    elapsed = done - first
    return {
        "workers": count,
        "stopped_one": stopped,
        "stalled": {"error": stalled, "lagging_partitions": stalled_partitions} if stalled else None,
        "seconds": None if stalled else round(elapsed, 2),
        "filings_per_second": None if stalled else round(n / elapsed, 1),
        "ready_spread_seconds": round(max(ready) - first, 2),
        "milestones_seconds": {k: round(v - first, 2) for k, v in watch.milestones.items()},
        "filings_parsed": progress.parsed_end,
        "dead_letters": progress.dlq_end,
        "filings_accounted": lost,
        "live_workers_at_end": readings,
        "positions": check,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = load_average()
    began = time.perf_counter()
    filings = list(generate(SEED, args.filings))
    raws = render_all(filings)
    print(f"{len(raws)} synthetic submissions; replaying them offline for the expected positions", flush=True)
    t = time.perf_counter()
    with scratch_dir("f4b-scaleout-") as tmp:
        expected = expected_positions(raws, Settings(data_dir=tmp))
        replay_seconds = time.perf_counter() - t
        print(f"offline replay: {len(expected)} positions in {replay_seconds:.1f}s", flush=True)
        runs = []
        with local_broker(tmp) as bootstrap:
            admin = Settings(data_dir=tmp, kafka_bootstrap=bootstrap, topic_partitions=PARTITIONS)
            raw_topic = f"backlog-{uuid.uuid4().hex[:8]}.raw"
            asyncio.run(create_topics(admin, [raw_topic]))
            pushed = asyncio.run(produce(bootstrap, raw_topic, raws))
            print(f"preloaded {raw_topic} ({PARTITIONS} partitions) in {pushed:.1f}s", flush=True)
            plan = [(k, False) for k in args.workers] + [(3, True)] * args.stop_runs
            for count, stop_one in plan:
                r = asyncio.run(group_run(bootstrap, tmp, raw_topic, len(raws), count, stop_one, expected))
                runs.append(r)
                pos = r["positions"]
                label = f"{count} worker{'s' if count > 1 else ''}" + (", one stopped" if stop_one else "")
                rate = (
                    f"{r['filings_per_second']:>8.1f} filings/s ({r['seconds']:.1f}s)"
                    if r["filings_per_second"]
                    else f"STALLED: {r['stalled']['error']}"
                )
                print(
                    f"{label:<24} {rate}; "
                    f"filings lost {r['filings_accounted']['lost']}, parsed twice "
                    f"{r['filings_accounted']['parsed_twice']}; positions "
                    f"equal to replay: merged by owner {pos['merged_by_owner']['equal']}, naive union "
                    f"{pos['naive_union']['equal']} ({pos['naive_union']['served_by_several_workers']} "
                    "served by several workers)",
                    flush=True,
                )
    single = [
        r["filings_per_second"]
        for r in runs
        if r["workers"] == 1 and not r["stopped_one"] and not r["stalled"]
    ]
    base = statistics.median(single) if single else None
    return {
        "benchmark": "scaleout",
        "machine": machine_info()
        | {"load_average_before": load_before, "load_average_after": load_average()},
        "settings": {
            "filings": args.filings,
            "partitions": PARTITIONS,
            "seed": SEED,
            "as_of": AS_OF.isoformat(),
            "preload_seconds": round(pushed, 2),
            "offline_replay_seconds": round(replay_seconds, 1),
            "timing": "from the first worker's /ready 200 (workers launched together) to lag 0 on the raw "
            "and parsed topics with every raw filing committed and parsed + dead letters = filings",
        },
        "runs": runs,
        # In run order; "3-stop" is 3 workers with one stopped mid-run.
        "speedup_vs_one_worker": [
            [f"{r['workers']}{'-stop' if r['stopped_one'] else ''}", round(r["filings_per_second"] / base, 2)]
            for r in runs
            if r["filings_per_second"]
        ]
        if base
        else None,
        "wall_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--filings", type=int, default=5000, help="synthetic submissions preloaded (default 5000)"
    )
    parser.add_argument(
        "--workers", type=int, nargs="*", default=[1, 2, 3], help="group sizes to run (default 1 2 3)"
    )
    parser.add_argument(
        "--stop-runs",
        type=int,
        default=1,
        help="runs of 3 workers with one stopped at ~40%% (default 1; 0 skips; more, to see how often a "
        "rebalance mid-run loses filings)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="result file (default bench/results/scaleout.json)"
    )
    args = parser.parse_args()
    exit_on_sigterm()
    result = run(args)
    path = write_result(args.out or RESULTS_DIR / "scaleout.json", result)
    mismatched = [r for r in result["runs"] if not r["positions"]["merged_by_owner"]["equal"]]
    lossy = [r for r in result["runs"] if r["filings_accounted"]["lost"]]
    stalls = [r for r in result["runs"] if r["stalled"]]
    print(
        f"speed-up vs 1 worker: {result['speedup_vs_one_worker']}; "
        + (
            f"{len(mismatched)} run(s) whose positions differ from replay; "
            if mismatched
            else "positions equal; "
        )
        + (f"{len(lossy)} run(s) with filings never parsed; " if lossy else "no filing lost; ")
        + (f"{len(stalls)} run(s) stalled short of lag 0; " if stalls else "")
        + str(path)
    )


if __name__ == "__main__":
    main()
