"""Worker throughput against the machine's limit: the worker vs a bare consume -> parse -> produce loop.

One local jar broker; N synthetic complete submissions (keyed by accession number) are produced to a
raw topic before any consumer starts. Then, interleaved so that load from other jobs on the machine
hits both alike, R rounds of each:

* the yardstick, ``../shared/bench/passthrough_parse.py`` (plain aiokafka, the project's parser, one
  JSON record per table row, no Faust, no state): a fresh consumer group and output topic per round;
  it times itself from its first record to its last commit;
* the ceiling, ``bench/ceiling.py``: the parser's and the ledger's own work on the same filings in one
  process with no Kafka at all, which bounds any worker that parses and keeps this ledger on one core;
* the worker, a ``form4 worker`` subprocess with a fresh app id (consumer group, changelog topics),
  data dir, web port and output topics per round, reading the same preloaded raw topic; timed from
  its /ready answering 200 until its group has committed everything on both source topics (raw and
  the internal parsed topic, whose end offsets must sum to the filings parsed).

    .venv/bin/python bench/throughput.py [--filings 5000] [--rounds 3] [--partitions 4]
        [--yardstick ../shared/bench/passthrough_parse.py] [--baseline REV]

``--baseline REV`` adds a third side: the worker of another commit (a ``git archive`` copy of it, run
with this checkout's venv), its rounds interleaved with the others in the same run, so a change is
measured against its parent under the same load (the machine's speed drifts between runs more than
many changes move the worker).

Writes bench/results/throughput.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    RESULTS_DIR,
    SNAPSHOT_MARK,
    GroupWatch,
    Raw,
    child_env,
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
from streams.adapters.consume import read_all  # noqa: E402
from streams.config.settings import Settings  # noqa: E402
from synthetic.generator import generate  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

SEED = 99
"""Same synthetic stream as bench/pipeline_bench.py."""


def venv_python() -> str:
    """The project's venv interpreter (the yardstick must import the same parser and aiokafka)."""
    candidate = ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def yardstick_round(yardstick: Path, settings: Settings, raw_topic: str, n: int) -> dict[str, Any]:
    """One run of the bare loop over the preloaded topic, with a fresh group and output topic."""
    tag = uuid.uuid4().hex[:8]
    out_topic = f"y{tag}.rows"
    # The output topic gets the raw topic's partitions, as the worker's topics do (no auto-create at 1).
    asyncio.run(create_topics(settings, [out_topic]))
    cmd = [
        venv_python(),
        str(yardstick),
        "--bootstrap",
        settings.kafka_bootstrap,
        "--inp",
        raw_topic,
        "--out",
        out_topic,
        "--group",
        f"yardstick-{tag}",
        "--expect",
        str(n),
    ]
    before = os.times()
    done = subprocess.run(
        cmd, env=child_env(), cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
    )
    after = os.times()
    if done.returncode != 0:
        raise RuntimeError(f"yardstick {yardstick} exited {done.returncode}:\n{done.stderr[-3000:]}")
    try:
        read, seconds = done.stdout.split()[-2:]
        records, elapsed = int(read), float(seconds)
    except ValueError:
        said = done.stdout[-500:]
        raise RuntimeError(f"yardstick {yardstick} printed {said!r}, not '<records> <seconds>'") from None
    if records < n:
        raise RuntimeError(f"yardstick read {records} records of {n} on {raw_topic}")
    return {
        "records": records,
        "seconds": round(elapsed, 3),
        "filings_per_second": round(records / elapsed, 1),
        # The only child reaped in between is the yardstick: its CPU time, for the CPU comparison.
        "cpu_seconds": round(
            (after.children_user + after.children_system) - (before.children_user + before.children_system), 2
        ),
    }


def ceiling_round(folder: Path, n: int) -> dict[str, Any]:
    """One run of ``bench/ceiling.py``: parse and ledger with no Kafka, timed by itself like the yardstick."""
    before = os.times()
    done = subprocess.run(
        [venv_python(), str(ROOT / "bench" / "ceiling.py"), str(folder)],
        env=child_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    after = os.times()
    if done.returncode != 0:
        raise RuntimeError(f"bench/ceiling.py exited {done.returncode}:\n{done.stderr[-3000:]}")
    records, seconds = done.stdout.split()[-2:]
    if int(records) != n:
        raise RuntimeError(f"bench/ceiling.py read {records} filings of {n} in {folder}")
    return {
        "records": int(records),
        "seconds": float(seconds),
        "filings_per_second": round(int(records) / float(seconds), 1),
        # Includes reading the files and starting Python, unlike its seconds: an upper bound of its CPU.
        "cpu_seconds": round(
            (after.children_user + after.children_system) - (before.children_user + before.children_system), 2
        ),
    }


async def _worker_round(
    bootstrap: str, tmp: Path, raw_topic: str, n: int, partitions: int, root: Path
) -> dict[str, Any]:
    data_dir = tmp / f"worker-{uuid.uuid4().hex[:8]}"
    settings = worker_settings(bootstrap, data_dir, raw_topic=raw_topic, partitions=partitions)
    await create_topics(settings)  # every topic but the preloaded raw one is new
    worker = WorkerProcess(settings=settings, data_dir=data_dir)
    try:
        async with GroupWatch(settings) as watch:
            spawn(worker, root)
            (ready,) = await asyncio.to_thread(wait_ready, [worker])
            pid = worker_pid(worker)
            cpu_at_ready = cpu_seconds(pid)
            done, progress = await watch.wait_drained(n, [worker])
            cpu_total = cpu_seconds(pid)
            rss = rss_bytes(pid)
        metrics = worker.get("/metrics")[1].decode()
    finally:
        worker.stop()
    events = await read_all(settings, settings.topic_transactions)
    elapsed = done - ready
    return {
        "seconds": round(elapsed, 3),
        # parsed_complete: the parse stage has written every filing (the ledger stage may still run);
        # raw_committed: the group committed every raw filing; drained: lag 0 on both (the end).
        "milestones_seconds": {k: round(v - ready, 3) for k, v in watch.milestones.items()},
        "filings_per_second": round(n / elapsed, 1),
        "filings_parsed": progress.parsed_end,
        # Neither parsed nor dead-lettered once the group settled (lost): 0 unless something is wrong.
        "filings_missing": progress.missing(n),
        "dead_letters": progress.dlq_end,
        "events": len(events),
        "cpu_seconds_during_run": round(cpu_total - cpu_at_ready, 2),
        "cpu_seconds_total": round(cpu_total, 2),
        "rss_bytes_at_end": rss,
        "positions_tracked": metric_value(metrics, "form4_positions_tracked"),
    }


def worker_round(
    bootstrap: str, tmp: Path, raw_topic: str, n: int, partitions: int, root: Path = ROOT
) -> dict[str, Any]:
    return asyncio.run(_worker_round(bootstrap, tmp, raw_topic, n, partitions, root))


def resolve_commit(rev: str) -> str:
    """The full id of commit ``rev`` of this checkout; ``ValueError`` saying why when there is none."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode != 0:
        raise ValueError(f"not a commit of the git checkout at {ROOT}: {found.stderr.strip()}")
    return found.stdout.strip()


def baseline_copy(commit: str, into: Path) -> None:
    """Extract ``commit`` of this checkout into ``into`` (``git archive``), marked with its id."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / SNAPSHOT_MARK).write_text(commit + "\n")


def versus(baseline: list[dict[str, Any]], work: list[dict[str, Any]]) -> dict[str, Any]:
    """This worker against the baseline's, round by round (each pair ran back to back)."""
    rates = [w["filings_per_second"] / b["filings_per_second"] for w, b in zip(work, baseline, strict=True)]
    cpu = [
        w["cpu_seconds_during_run"] / b["cpu_seconds_during_run"] for w, b in zip(work, baseline, strict=True)
    ]
    return {
        "filings_per_second_ratio": {
            "median": round(statistics.median(rates), 3),
            "per_round": [round(r, 3) for r in rates],
        },
        "cpu_seconds_ratio": {
            "median": round(statistics.median(cpu), 3),
            "per_round": [round(c, 3) for c in cpu],
        },
    }


def summarise(yard: list[dict[str, Any]], work: list[dict[str, Any]]) -> dict[str, Any]:
    ys = [r["filings_per_second"] for r in yard]
    ws = [r["filings_per_second"] for r in work]
    # Round i of each ran back to back: their ratio shares that moment's load.
    ratios = [w / y for w, y in zip(ws, ys, strict=True)]
    return {
        "yardstick_filings_per_second": {"best": max(ys), "median": statistics.median(ys)},
        "worker_filings_per_second": {"best": max(ws), "median": statistics.median(ws)},
        "ratio_worker_to_yardstick": {
            "median_of_round_ratios": round(statistics.median(ratios), 3),
            "best_to_best": round(max(ws) / max(ys), 3),
            "per_round": [round(r, 3) for r in ratios],
        },
        "cpu_seconds_per_1000_filings": {
            "yardstick_median": round(
                1000 * statistics.median(r["cpu_seconds"] for r in yard) / yard[0]["records"], 2
            ),
            "worker_median": round(
                1000
                * statistics.median(r["cpu_seconds_during_run"] for r in work)
                / (work[0]["filings_parsed"] or 1),
                2,
            ),
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = load_average()
    began = time.perf_counter()
    filings = list(generate(SEED, args.filings))
    raws: list[Raw] = render_all(filings)
    rows = sum(len(f.rows) for f in filings)
    print(
        f"{len(raws)} synthetic submissions, {sum(len(r) for _, r in raws) / 1e6:.1f} MB, {rows} rows",
        flush=True,
    )
    rounds: dict[str, list[dict[str, Any]]] = {"yardstick": [], "ceiling": [], "worker": []}
    with scratch_dir("f4b-throughput-") as tmp:
        ceiling_input = tmp / "ceiling-input"
        ceiling_input.mkdir()
        for i, (key, raw) in enumerate(raws):
            (ceiling_input / f"{(key or b'').decode() or f'unkeyed-{i:06d}'}.txt").write_bytes(raw)
        baseline: tuple[str, Path] | None = None
        if args.baseline:
            rounds["baseline"] = []
            baseline_copy(args.baseline_commit, tmp / "baseline")
            baseline = (args.baseline_commit, tmp / "baseline")
            print(f"baseline: {args.baseline} = {baseline[0]}", flush=True)
        with local_broker(tmp) as bootstrap:
            admin = Settings(data_dir=tmp, kafka_bootstrap=bootstrap, topic_partitions=args.partitions)
            raw_topic = f"backlog-{uuid.uuid4().hex[:8]}.raw"
            asyncio.run(create_topics(admin, [raw_topic]))
            pushed = asyncio.run(produce(bootstrap, raw_topic, raws))
            print(f"preloaded {raw_topic} ({args.partitions} partitions) in {pushed:.1f}s", flush=True)
            for i in range(1, args.rounds + 1):
                y = yardstick_round(args.yardstick, admin, raw_topic, len(raws))
                rounds["yardstick"].append(y)
                print(
                    f"round {i} yardstick: {y['filings_per_second']:>8.1f} filings/s ({y['seconds']:.1f}s)",
                    flush=True,
                )
                c = ceiling_round(ceiling_input, len(raws))
                rounds["ceiling"].append(c)
                bound = c["filings_per_second"] / y["filings_per_second"]
                print(
                    f"round {i} ceiling:   {c['filings_per_second']:>8.1f} filings/s ({c['seconds']:.1f}s, "
                    f"parse + ledger, no Kafka)  ratio {bound:.3f}",
                    flush=True,
                )
                # With a baseline, the two workers take turns going first (drift hits both alike).
                sides = [("worker", ROOT)] + ([("baseline", baseline[1])] if baseline else [])
                for side, root in sides if i % 2 else reversed(sides):
                    w = worker_round(bootstrap, tmp, raw_topic, len(raws), args.partitions, root)
                    rounds[side].append(w)
                    ratio = w["filings_per_second"] / y["filings_per_second"]
                    print(
                        f"round {i} {side + ':':<9} {w['filings_per_second']:>8.1f} filings/s "
                        f"({w['seconds']:.1f}s, "
                        f"parse stage done at {w['milestones_seconds'].get('parsed_complete')}s, "
                        f"{w['cpu_seconds_during_run']} CPU s, "
                        f"RSS {w['rss_bytes_at_end'] / 2**20:.0f} MiB)  ratio {ratio:.3f}",
                        flush=True,
                    )
    summary = summarise(rounds["yardstick"], rounds["worker"])
    ceiling = [
        c["filings_per_second"] / y["filings_per_second"]
        for c, y in zip(rounds["ceiling"], rounds["yardstick"], strict=True)
    ]
    summary["ceiling"] = {
        "what": "bench/ceiling.py: parse + ledger on dict stores, one process, no Kafka (a worker's bound)",
        "filings_per_second_median": statistics.median(c["filings_per_second"] for c in rounds["ceiling"]),
        "ratio_to_yardstick": {
            "median_of_round_ratios": round(statistics.median(ceiling), 3),
            "per_round": [round(r, 3) for r in ceiling],
        },
        "worker_to_ceiling_median": round(
            statistics.median(
                w["filings_per_second"] / c["filings_per_second"]
                for w, c in zip(rounds["worker"], rounds["ceiling"], strict=True)
            ),
            3,
        ),
    }
    if baseline:
        summary["baseline"] = {"commit": baseline[0]} | summarise(rounds["yardstick"], rounds["baseline"])
        summary["worker_to_baseline"] = versus(rounds["baseline"], rounds["worker"])
    return {
        "benchmark": "throughput",
        "machine": machine_info()
        | {"load_average_before": load_before, "load_average_after": load_average()},
        "settings": {
            "filings": args.filings,
            "rounds": args.rounds,
            "partitions": args.partitions,
            "seed": SEED,
            "rows": rows,
            "bytes": sum(len(r) for _, r in raws),
            "yardstick": str(args.yardstick),
            "baseline": args.baseline,
            "preload_seconds": round(pushed, 2),
            "worker_timing": "from /ready 200 (polled every 50 ms) to lag 0 on the raw and parsed topics "
            "with every raw filing committed and parsed + dead letters = filings (polled every 250 ms)",
            "yardstick_timing": "its own: first record read to last commit",
        },
        "rounds": rounds,
        "summary": summary,
        "wall_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--filings", type=int, default=5000, help="synthetic submissions preloaded (default 5000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each, interleaved (default 3)")
    parser.add_argument("--partitions", type=int, default=4, help="partitions of every topic (default 4)")
    parser.add_argument(
        "--yardstick",
        type=Path,
        default=ROOT.parent / "shared" / "bench" / "passthrough_parse.py",
        help="the bare loop script (default ../shared/bench/passthrough_parse.py)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="result file (default bench/results/throughput.json)"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="also run the worker of this commit (git archive), its rounds interleaved with the others",
    )
    args = parser.parse_args()
    exit_on_sigterm()
    if not args.yardstick.is_file():
        parser.error(f"--yardstick {args.yardstick}: no such file")
    args.baseline_commit = None
    if args.baseline:
        try:  # before the filings are made and the broker started
            args.baseline_commit = resolve_commit(args.baseline)
        except ValueError as exc:
            parser.error(f"--baseline {args.baseline}: {exc}")
    result = run(args)
    path = write_result(args.out or RESULTS_DIR / "throughput.json", result)
    s = result["summary"]
    ratio = s["ratio_worker_to_yardstick"]
    print(
        f"worker / yardstick: median of round ratios {ratio['median_of_round_ratios']:.3f}, "
        f"best/best {ratio['best_to_best']:.3f} "
        f"(worker best {s['worker_filings_per_second']['best']} filings/s, "
        f"yardstick best {s['yardstick_filings_per_second']['best']} filings/s); {path}"
    )
    ceiling = s["ceiling"]
    print(
        f"ceiling (parse + ledger, no Kafka) / yardstick: "
        f"{ceiling['ratio_to_yardstick']['median_of_round_ratios']:.3f}; "
        f"worker / ceiling: {ceiling['worker_to_ceiling_median']:.3f} (medians of round ratios)"
    )
    if "worker_to_baseline" in s:
        versus_ = s["worker_to_baseline"]
        print(
            f"worker / baseline {args.baseline}: filings/s x{versus_['filings_per_second_ratio']['median']}, "
            f"CPU seconds x{versus_['cpu_seconds_ratio']['median']} (medians of round ratios); baseline / "
            f"yardstick {s['baseline']['ratio_worker_to_yardstick']['median_of_round_ratios']:.3f}"
        )


if __name__ == "__main__":
    main()
