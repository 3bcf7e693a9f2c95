"""Cold-start time of the local jar broker: N fresh data dirs, seconds from launch to a Metadata answer.

Usage: ``.venv/bin/python bench/broker_startup.py [-n 3]``; writes bench/results/broker_startup.json.
Jar resolution (Maven) happens once before the runs and is not timed; storage formatting is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from streams.config.settings import Settings, get_settings
from streams.localbroker.broker import LocalBroker, ensure_jars, find_java, free_port

RESULTS = Path(__file__).resolve().parent / "results" / "broker_startup.json"


def _java_version(java: str) -> str:
    # `java -version` prints to stderr; its first line names the runtime.
    done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return done.stderr.splitlines()[0] if done.stderr else "unknown"


def measure(runs: int) -> dict[str, object]:
    """Start and stop a broker ``runs`` times, each on a new data dir; returns the summary record."""
    settings = get_settings()
    ensure_jars(settings)
    seconds: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="form4-bench-") as tmp:
            broker = LocalBroker(Settings(data_dir=Path(tmp), kafka_bootstrap=f"127.0.0.1:{free_port()}"))
            try:
                info = broker.start(timeout=180)
            finally:
                broker.stop()
            assert info.startup_seconds is not None
            seconds.append(info.startup_seconds)
            print(f"run {len(seconds)}: {info.startup_seconds:.2f}s")
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "LocalBroker.start() on a cold data dir: storage format + JVM launch until a Metadata answer",
        "kafka_version": settings.kafka_version,
        "heap": settings.kafka_heap,
        "java": _java_version(find_java()),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "runs": runs,
        "seconds": seconds,
        "min": min(seconds),
        "median": statistics.median(seconds),
        "max": max(seconds),
    }


def main() -> None:
    """Parse ``-n``, measure, write the JSON file and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=3, help="cold starts to measure (default 3)")
    record = measure(parser.parse_args().runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    print(f"min {record['min']:.2f}s  median {record['median']:.2f}s  max {record['max']:.2f}s -> {RESULTS}")


if __name__ == "__main__":
    main()
