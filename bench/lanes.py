"""Live alerts during a backfill (issue 12, goal 3): how long a live filing waits while a backfill drains.

Starts a broker and one worker on free ports. Before the worker starts, ``-n`` synthetic Form 4/4A/3/5
complete submissions are preloaded on the backfill lane (``FORM4_TOPIC_BACKFILL``, as ``form4 push
--backfill`` would send them). Once the worker is ready, one live filing a second goes to the raw topic
until the backfill has drained: alternately a synthetic submission (of another seed) and a CEO's $5M
sale (which always raises a ``large_sale`` alert). Measured per live filing, on Kafka timestamps:
its raw record to its first ``form4.transaction/1`` event; for the CEO sales, to their own alert (an
alert naming a synthetic live filing may be a cluster or repeated-sales alert raised by a later filing,
so those are reported apart, as any alert naming a live filing);
and the time the backfill took (worker ready to the group's lag on both backfill topics at zero).

    .venv/bin/python bench/lanes.py [-n 50000] [--partitions 4] [--no-live] [--set FIELD=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaProducer  # noqa: E402

from bench.harness import add_setting_overrides  # noqa: E402
from streams.adapters.consume import read_all  # noqa: E402
from streams.adapters.lag import group_lag  # noqa: E402
from streams.config.settings import Settings  # noqa: E402
from streams.localbroker.broker import LocalBroker  # noqa: E402
from streams.localbroker.support import free_port  # noqa: E402
from synthetic.generator import generate  # noqa: E402
from synthetic.render_submission import render_submission  # noqa: E402
from tests.support.sales import ceo_sale_xml  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
PRELOAD_CHUNK = 2000


def _producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        compression_type="gzip",
        max_request_size=settings.max_message_bytes,
    )


async def preload(settings: Settings, n: int, seed: int) -> tuple[int, int]:
    """Send ``n`` synthetic submissions to the backfill topic, keyed by accession; (filings, bytes)."""
    producer = _producer(settings)
    await producer.start()
    sent = size = 0
    try:
        pending = []
        for f in generate(seed, n):
            raw = render_submission(f)
            key = f.accession_number.encode() if f.accession_number else None
            pending.append(await producer.send(settings.topic_backfill, raw, key=key))
            sent, size = sent + 1, size + len(raw)
            if len(pending) >= PRELOAD_CHUNK:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent, size


def live_filings(seed: int) -> Iterator[tuple[str, bytes, bool]]:
    """(accession, raw, always alerts): synthetic submissions and CEO sales, alternately, endlessly."""
    synthetic = generate(seed, 100_000)
    i = 0
    while True:
        if i % 2:
            accession = f"0009999999-26-{i:06d}"
            raw = ceo_sale_xml(ticker=f"LV{i}", issuer_cik=f"0009{i:06d}", day="2025-06-02")
            yield accession, raw, True
        else:
            f = next(synthetic)
            assert f.accession_number is not None
            yield f.accession_number, render_submission(f), False
        i += 1


async def backfill_lag(settings: Settings) -> int:
    lag = await group_lag(settings, topics=[settings.topic_backfill, settings.topic_parsed_backfill])
    return lag.total_lag if all(p.committed is not None or p.end == 0 for p in lag.partitions) else -1


async def live_lag(settings: Settings) -> int:
    lag = await group_lag(settings, topics=[settings.topic_raw, settings.topic_parsed])
    return lag.total_lag


def quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (p99 of 100 values is the 99th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_ms": quantile(values, 0.5),
        "p99_ms": quantile(values, 0.99),
        "max_ms": max(values) if values else None,
    }


async def run(n: int, partitions: int, live: bool, overrides: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), kafka_bootstrap=f"127.0.0.1:{free_port()}")
        broker = LocalBroker(settings)
        info = broker.start()
        worker = WorkerProcess.create(info.bootstrap, Path(tmp), partitions=partitions, **overrides)
        s = worker.settings
        try:
            began = time.perf_counter()
            filings, size = await preload(s, n, seed=99)
            preload_seconds = time.perf_counter() - began
            print(f"preloaded {filings} filings ({size / 1e6:.0f} MB) in {preload_seconds:.1f}s", flush=True)
            worker.start()
            ready = time.perf_counter()
            sent: dict[str, bool] = {}
            producer = _producer(s)
            await producer.start()
            try:
                source = live_filings(seed=4242)
                next_send = time.perf_counter()
                next_check = next_send
                drained_at: float | None = None
                while drained_at is None:
                    now = time.perf_counter()
                    if live and now >= next_send:
                        accession, raw, alerts = next(source)
                        await producer.send_and_wait(s.topic_raw, raw, key=accession.encode())
                        sent[accession] = alerts
                        next_send += 1.0
                    if now >= next_check:
                        next_check = now + 2.0
                        if await backfill_lag(s) == 0:
                            drained_at = time.perf_counter()
                            print(f"backfill drained {drained_at - ready:.1f}s after the worker was ready")
                        elif len(sent) % 30 == 0:
                            print(f"{now - ready:.0f}s: {len(sent)} live filings sent", flush=True)
                    await asyncio.sleep(max(0.0, min(next_send, next_check) - time.perf_counter()))
            finally:
                await producer.stop()
            deadline = time.monotonic() + 120
            while await live_lag(s) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            raw_ts = {r.key.decode(): r.timestamp for r in await read_all(s, s.topic_raw) if r.key}
            first_event: dict[str, int] = {}
            backfill_events: list[int] = []
            for r in await read_all(s, s.topic_transactions):
                accession = str(json.loads(r.value)["accession_number"])
                if accession in sent:
                    first_event[accession] = min(r.timestamp, first_event.get(accession, r.timestamp))
                else:
                    backfill_events.append(r.timestamp)
            first_alert: dict[str, int] = {}
            for r in await read_all(s, s.topic_alerts):
                alert = json.loads(r.value)
                if alert.get("kind") != "alert_raised":
                    continue
                for accession in alert["accession_numbers"]:
                    if accession in sent:
                        first_alert[accession] = min(r.timestamp, first_alert.get(accession, r.timestamp))
            worker_log = worker.log_tail(10**8)
        finally:
            worker.stop()
            broker.stop()
    to_event = [float(first_event[a] - raw_ts[a]) for a in sent if a in first_event and a in raw_ts]
    # A CEO sale's issuer is its own (LV<i>): the first alert naming it is the one it raised itself.
    to_any_alert = {a: float(first_alert[a] - raw_ts[a]) for a in sent if a in first_alert and a in raw_ts}
    to_alert = [ms for a, ms in to_any_alert.items() if sent[a]]
    backfill_seconds = drained_at - ready
    return {
        "backfill_filings": filings,
        "backfill_bytes": size,
        "partitions": partitions,
        "settings": {
            k: getattr(s, k)
            for k in (
                "lanes_check_seconds",
                "lanes_stream_buffer",
                "lanes_fetch_records",
                "batch_max_records",
                "batch_wait_seconds",
                "producer_linger_ms",
            )
            if hasattr(s, k)
        },
        "preload_seconds": round(preload_seconds, 1),
        "backfill_seconds": round(backfill_seconds, 1),
        "backfill_filings_per_second": round(filings / backfill_seconds, 1),
        "backfill_events_span_seconds": round((max(backfill_events) - min(backfill_events)) / 1000, 1)
        if backfill_events
        else None,
        "live_filings_sent": len(sent),
        "live_filings_with_events": len(to_event),
        "live_filings_alerting": sum(sent.values()),
        "live_raw_to_first_event": summary(to_event),
        "live_raw_to_first_alert": summary(to_alert),
        "live_raw_to_any_alert_naming_it": summary(list(to_any_alert.values())),
        "backfill_pause_log_lines": worker_log.count("backfill lane paused"),
        "note": "latencies are Kafka timestamp differences (ms) on one machine; the backfill time runs from "
        "the worker's /ready to the group's lag on both backfill topics at 0 (checked every 2 s)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=50_000, help="filings preloaded on the backfill lane")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument(
        "--no-live", action="store_true", help="the backfill alone (its time without live filings)"
    )
    add_setting_overrides(parser)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "lanes.json")
    args = parser.parse_args()

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # stopped from outside: the worker and the broker are stopped too

    signal.signal(signal.SIGTERM, stop)
    overrides = dict(args.set)
    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    result = asyncio.run(run(args.n, args.partitions, not args.no_live, overrides))
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_at_start": loadavg_start,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
