"""End-to-end throughput and latency of the live pipeline on the local jar broker.

Starts a broker and one worker on free ports, pushes N synthetic Form 4 submissions (pre-rendered,
so rendering is not timed), and measures the time from the first message sent until the worker has
committed everything (consumer lag 0), plus the worker's own latency histogram (Kafka timestamp of the
raw message -> filing applied and alerts acknowledged).

    .venv/bin/python bench/pipeline_bench.py [-n 5000] [--partitions 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.adapters.consume import read_all  # noqa: E402
from streams.config.settings import Settings  # noqa: E402
from streams.localbroker.broker import LocalBroker  # noqa: E402
from streams.localbroker.support import free_port  # noqa: E402
from synthetic.generator import generate  # noqa: E402
from synthetic.render_submission import render_submission  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"


def _histogram(metrics: str, name: str) -> dict[str, float]:
    buckets: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith(f"{name}_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets[le] = float(line.rsplit(" ", 1)[1])
    return buckets


def _quantile(buckets: dict[str, float], q: float) -> str:
    total = buckets.get("+Inf", 0.0)
    for le, count in sorted(((k, v) for k, v in buckets.items() if k != "+Inf"), key=lambda kv: float(kv[0])):
        if total and count / total >= q:
            return f"<= {le} s"
    return "> largest bucket"


async def _idle_latency(worker: WorkerProcess, count: int = 25) -> dict[str, float]:
    """Milliseconds from a raw filing's Kafka timestamp to its first event's.

    One filing at a time, on an idle worker.
    """
    trickle = list(generate(12345, count))
    for f in trickle:
        await worker.push(
            [(f.accession_number.encode() if f.accession_number else None, render_submission(f))]
        )
        await asyncio.sleep(0.3)
    await worker.drained()
    wanted = {f.accession_number for f in trickle}
    raw_ts = {
        r.key.decode(): r.timestamp
        for r in await read_all(worker.settings, worker.settings.topic_raw)
        if r.key and r.key.decode() in wanted
    }
    first_event: dict[str, int] = {}
    for r in await read_all(worker.settings, worker.settings.topic_transactions):
        acc = json.loads(r.value)["accession_number"]
        if acc in wanted:
            first_event[acc] = min(r.timestamp, first_event.get(acc, r.timestamp))
    lat = sorted(first_event[a] - raw_ts[a] for a in first_event if a in raw_ts)
    return {"filings": len(lat), "p50_ms": float(statistics.median(lat)), "max_ms": float(lat[-1])}


async def run(n: int, partitions: int, workers: int = 1) -> dict[str, object]:
    filings = list(generate(99, n))
    raws = [
        (f.accession_number.encode() if f.accession_number else None, render_submission(f)) for f in filings
    ]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), kafka_bootstrap=f"127.0.0.1:{free_port()}")
        broker = LocalBroker(settings)
        info = broker.start()
        worker = WorkerProcess.create(info.bootstrap, Path(tmp), partitions=partitions)
        # Extra workers join the same consumer group (same app id and topics) on their own web port.
        others = [
            WorkerProcess(
                settings=worker.settings.model_copy(update={"web_port": free_port()}),
                data_dir=Path(tmp) / f"w{i}",
            )
            for i in range(1, workers)
        ]
        try:
            worker.start()
            for other in others:
                other.data_dir.mkdir()
                other.start()
            began = time.perf_counter()
            await worker.push(raws)
            pushed = time.perf_counter() - began
            await worker.drained(timeout=3600)
            elapsed = time.perf_counter() - began
            metrics = worker.get("/metrics")[1].decode()
            idle = await _idle_latency(worker)
        finally:
            for other in others:
                other.stop()
            worker.stop()
            broker.stop()
    latency = _histogram(metrics, "form4_processing_latency_seconds")
    return {
        "filings": n,
        "events": sum(len(f.rows) for f in filings),
        "bytes": sum(len(r) for _, r in raws),
        "partitions": partitions,
        "workers": workers,
        "push_seconds": round(pushed, 2),
        "end_to_end_seconds": round(elapsed, 2),
        "filings_per_second": round(n / elapsed, 1),
        "backlog_latency_p50": _quantile(latency, 0.5),
        "backlog_latency_p99": _quantile(latency, 0.99),
        "idle_latency_raw_to_event": idle,
        "note": "backlog latency counts from the raw message's Kafka timestamp while the whole batch queues "
        "(drain time); idle latency is one filing at a time, raw timestamp to its first event's timestamp",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="worker processes in the consumer group")
    args = parser.parse_args()
    result = asyncio.run(run(args.n, args.partitions, args.workers))
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"pipeline_{args.workers}w.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
