"""Shared pieces of the issue 12 benches (throughput.py, scaleout.py, memory.py).

A local jar broker, a preloaded backlog, worker settings with topic names of their own, readings of a
worker process from /proc, the machine and the commit measured, and a watch on a worker group's lag
that keeps its Kafka clients open (polling with fresh clients every half second costs the bench
process CPU that the worker, on the same two cores, would otherwise have).

Not a benchmark itself: imported by the bench scripts, which put the project root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.adapters.topics_admin import ensure_topics
from streams.config.settings import Settings
from streams.localbroker.broker import LocalBroker
from streams.localbroker.support import free_port
from synthetic.render_submission import render_submission
from tests.support.worker import WorkerProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"

Raw = tuple[bytes | None, bytes]
"""A raw filing as produced to the raw topic: (key = accession number, complete submission)."""


# --- the machine and the code measured -------------------------------------------------------------


def setting_override(text: str) -> tuple[str, str]:
    """``--set FIELD=VALUE`` of a bench: a field of :class:`Settings` and its value (argparse type)."""
    name, sep, value = text.partition("=")
    if not sep or name not in Settings.model_fields:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected FIELD=VALUE with FIELD a Settings field (e.g. gc_freeze=false)"
        )
    return name, value


def add_setting_overrides(parser: argparse.ArgumentParser) -> None:
    """``--set FIELD=VALUE`` (repeatable) on a bench: :func:`setting_override` pairs in ``args.set``."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        type=setting_override,
        metavar="FIELD=VALUE",
        help="a Settings field of the worker",
    )


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return (
        done.stdout.strip()
        if done.returncode == 0
        else f"unknown (git {' '.join(args)}: rc {done.returncode})"
    )


SNAPSHOT_MARK = ".bench-commit"
"""In a ``git archive`` copy of a commit (no .git): the commit's id, written when the copy was made."""


def code_measured() -> dict[str, Any]:
    """The commit measured and whether the code differs from it.

    A work tree others edit while the bench runs is "HEAD plus their edits" (dirty); a clean measurement
    of one commit runs from a ``git archive`` copy of it, marked by :data:`SNAPSHOT_MARK`.
    """
    mark = ROOT / SNAPSHOT_MARK
    if not (ROOT / ".git").exists() and mark.is_file():
        return {
            "git_commit": mark.read_text().strip(),
            "source": f"git archive copy at {ROOT}",
            "dirty": False,
        }
    dirty = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_commit_subject": _git("log", "-1", "--format=%s"),
        "source": f"work tree {ROOT}",
        "dirty": bool(dirty),
        "dirty_files": dirty,
    }


def machine_info() -> dict[str, Any]:
    """CPU count, Python, date, and the code measured."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **code_measured(),
    }


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that the bench's cleanup (workers, broker, scratch folder) runs
    when it is stopped from outside, as on Ctrl-C."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


# --- processes ----------------------------------------------------------------------------------------


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (/proc/<pid>/stat utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (/proc/<pid>/status VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS line in /proc/{pid}/status (process gone or a kernel thread)")


def worker_pid(worker: WorkerProcess) -> int:
    if worker.proc is None or worker.proc.poll() is not None:
        raise RuntimeError(f"worker on port {worker.settings.web_port} is not running:\n{worker.log_tail()}")
    return worker.proc.pid


def child_env(root: Path = ROOT) -> dict[str, str]:
    """Our environment with ``root`` first on PYTHONPATH, for every Python child (worker, yardstick)."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(root)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *rest])}


def spawn(worker: WorkerProcess, root: Path = ROOT) -> None:
    """Launch ``worker`` as WorkerProcess.start does, without waiting for it (several start together).

    ``root``: the source tree it runs (another commit's ``git archive``, for a side-by-side bench).
    """
    worker.data_dir.mkdir(parents=True, exist_ok=True)
    worker.starts += 1
    log = worker.data_dir / f"worker-{worker.starts}.log"
    worker.logs.append(log)
    with log.open("wb") as out:
        worker.proc = subprocess.Popen(
            [sys.executable, "-m", "streams", "worker"],
            # From ROOT, with ROOT first on the path: the worker runs the code measured, also when ROOT
            # is a copy of another commit (the venv's editable install points at the work tree).
            cwd=root,
            env=worker.env | {"PYTHONPATH": child_env(root)["PYTHONPATH"]},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(workers: Sequence[WorkerProcess], timeout: float = 180.0, poll: float = 0.05) -> list[float]:
    """``time.perf_counter()`` at which each worker's /ready first answered 200.

    Polled every ``poll`` seconds, not WorkerProcess.start's half second: with a preloaded backlog
    the worker starts consuming as it becomes ready, so a late reading would flatter its throughput.
    """
    ready: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(ready) < len(workers):
        if time.monotonic() > deadline:
            late = [w.settings.web_port for i, w in enumerate(workers) if i not in ready]
            raise TimeoutError(
                f"workers on ports {late} not ready within {timeout}s:\n{workers[0].log_tail()}"
            )
        for i, w in enumerate(workers):
            if i in ready:
                continue
            if w.proc is not None and w.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {w.proc.returncode}:\n{w.log_tail()}")
            if w.get("/ready")[0] == 200:
                ready[i] = time.perf_counter()
        time.sleep(poll)
    return [ready[i] for i in range(len(workers))]


# --- broker, topics, backlog -------------------------------------------------------------------------


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards unless the bench failed: then kept, and said where
    (worker and broker logs to read)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    except BaseException:
        print(f"bench failed: its folder {path} is kept (worker-*.log, broker/broker.log)", file=sys.stderr)
        raise
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def local_broker(data_dir: Path) -> Iterator[str]:
    """A local jar broker in ``data_dir`` for the duration; yields its bootstrap address."""
    settings = Settings(data_dir=data_dir, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    broker = LocalBroker(settings)
    info = broker.start()
    try:
        yield info.bootstrap
    finally:
        broker.stop()


def worker_settings(
    bootstrap: str, data_dir: Path, *, raw_topic: str, partitions: int, **overrides: Any
) -> Settings:
    """Settings of a fresh worker group: its own app id (consumer group, changelog topics), web port
    and every topic but the raw one, which is the preloaded ``raw_topic``."""
    tag = uuid.uuid4().hex[:8]
    topics = {
        "topic_parsed": f"b{tag}.parsed",
        "topic_backfill": f"b{tag}.backfill",
        "topic_parsed_backfill": f"b{tag}.parsed.backfill",
        "topic_transactions": f"b{tag}.transactions",
        "topic_alerts": f"b{tag}.alerts",
        "topic_dlq": f"b{tag}.dlq",
        "topic_webhook_dlq": f"b{tag}.webhooks.dlq",
    }
    # Older commits (measured from a copy) have no backfill lane: only the topics this Settings knows.
    known: dict[str, Any] = {k: v for k, v in topics.items() if k in Settings.model_fields}
    return Settings(
        kafka_bootstrap=bootstrap,
        data_dir=data_dir,
        app_id=f"form4-bench-{tag}",
        web_port=free_port(),
        topic_raw=raw_topic,
        topic_partitions=partitions,
        **known,
        **overrides,
    )


async def create_topics(settings: Settings, names: Iterable[str] | None = None) -> None:
    """Create ``names`` (default: every topic of ``settings``) with ``settings.topic_partitions``."""
    await ensure_topics(settings, names)


def render_all(filings: Iterable[Any]) -> list[Raw]:
    """Complete submissions keyed by accession number, as ``form4 push`` keys them."""
    return [
        (f.accession_number.encode() if f.accession_number else None, render_submission(f)) for f in filings
    ]


async def produce(bootstrap: str, topic: str, raws: Sequence[Raw]) -> float:
    """Produce ``raws`` to ``topic`` with the producer settings of ``form4 push`` (acks=all, idempotent,
    gzip, linger 20 ms); returns the seconds it took until every record was acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        compression_type="gzip",
        max_request_size=16 * 1024 * 1024,
    )
    began = time.perf_counter()
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in raws]
        for fut in futures:
            await fut
    finally:
        await producer.stop()
    return time.perf_counter() - began


# --- a worker group's progress ---------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """One reading of a worker group on its two source topics (raw, parsed) and its dead letters."""

    raw_end: int
    raw_committed: int
    raw_uncommitted_partitions: int
    """Raw partitions holding records that the group has never committed on."""
    parsed_end: int
    parsed_lag: int
    dlq_end: int

    @property
    def raw_lag(self) -> int:
        return self.raw_end - self.raw_committed

    def settled(self, expected: int) -> bool:
        """Lag 0 on raw and parsed with ``expected`` raw filings committed."""
        return (
            self.raw_committed >= expected
            and self.raw_lag == 0
            and self.raw_uncommitted_partitions == 0
            and self.parsed_lag == 0
        )

    def drained(self, expected: int) -> bool:
        """Settled, and every raw filing is either on the parsed topic or dead-lettered."""
        return self.settled(expected) and self.parsed_end + self.dlq_end >= expected

    def missing(self, expected: int) -> int:
        """Filings neither parsed nor dead-lettered (lost, once the group has settled)."""
        return max(0, expected - self.parsed_end - self.dlq_end)


class GroupWatch:
    """Committed and end offsets of a worker group, with one admin client and one consumer kept open."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, group_id=None, enable_auto_commit=False
        )
        self.tps: dict[str, list[TopicPartition]] = {}
        self.milestones: dict[str, float] = {}
        """``perf_counter`` at which :meth:`wait_drained` first saw each milestone."""

    async def __aenter__(self) -> GroupWatch:
        await self.admin.start()
        await self.consumer.start()
        s = self.settings
        meta = await self.admin.describe_topics([s.topic_raw, s.topic_parsed, s.topic_dlq])
        for topic in meta:
            if topic.get("error_code"):
                raise RuntimeError(
                    f"topic {topic['topic']!r} cannot be described: error {topic['error_code']}"
                )
            self.tps[topic["topic"]] = [
                TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]
            ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def read(self) -> Progress:
        s = self.settings
        raw, parsed, dlq = self.tps[s.topic_raw], self.tps[s.topic_parsed], self.tps[s.topic_dlq]
        end = await self.consumer.end_offsets([*raw, *parsed, *dlq])
        committed_meta = await self.admin.list_consumer_group_offsets(s.app_id, partitions=[*raw, *parsed])
        committed = {
            tp: m.offset
            for tp, m in committed_meta.items()
            if m is not None and m.offset is not None and m.offset >= 0
        }
        return Progress(
            raw_end=sum(end[tp] for tp in raw),
            raw_committed=sum(committed.get(tp, 0) for tp in raw),
            raw_uncommitted_partitions=sum(1 for tp in raw if end[tp] > 0 and tp not in committed),
            parsed_end=sum(end[tp] for tp in parsed),
            # Before its first commit a partition's lag is all of it (the group starts at the beginning).
            parsed_lag=sum(end[tp] - committed.get(tp, 0) for tp in parsed),
            dlq_end=sum(end[tp] for tp in dlq),
        )

    async def wait_drained(
        self,
        expected: int,
        workers: Sequence[WorkerProcess],
        timeout: float = 1800.0,
        poll: float = 0.25,
        stall: float = 120.0,
        short_grace: float = 15.0,
    ) -> tuple[float, Progress]:
        """Poll until :meth:`Progress.drained`; returns (``perf_counter`` of that reading, the reading).

        A group that has settled (every raw filing committed, lag 0) with filings neither parsed nor
        dead-lettered has lost them: the parse stage awaits its sends' acknowledgements before its
        offsets may be committed, so nothing more will come. After ``short_grace`` seconds unchanged,
        that reading is returned, timed when it was first seen (the caller reports
        :meth:`Progress.missing`). Fails when a worker exits, after ``timeout``, or when nothing moved
        for ``stall`` seconds (naming the last reading).
        """
        deadline = time.monotonic() + timeout
        last: Progress | None = None
        moved = time.monotonic()
        settled_at: float | None = None
        while True:
            progress = await self.read()
            now_pc = time.perf_counter()
            # Milestones, to tell the work from the commits trailing it.
            if progress.raw_end and progress.parsed_end + progress.dlq_end >= expected:
                self.milestones.setdefault("parsed_complete", now_pc)
            if progress.raw_committed >= expected:
                self.milestones.setdefault("raw_committed", now_pc)
            if progress.drained(expected):
                self.milestones.setdefault("drained", now_pc)
                return now_pc, progress
            now = time.monotonic()
            if progress != last:
                last, moved, settled_at = progress, now, None
            if progress.settled(expected):
                settled_at = settled_at or now_pc
                if now_pc - settled_at >= short_grace:
                    self.milestones.setdefault("settled_short", settled_at)
                    return settled_at, progress
            for w in workers:
                if w.proc is not None and w.proc.poll() is not None:
                    raise RuntimeError(f"worker on port {w.settings.web_port} died:\n{w.log_tail()}")
            if now > deadline or now - moved > stall:
                why = "timed out" if now > deadline else f"made no progress for {stall:.0f}s"
                raise TimeoutError(
                    f"worker group {self.settings.app_id} {why} draining {expected} filings: {progress}\n"
                    f"{workers[0].log_tail(3000) if workers else ''}"
                )
            await asyncio.sleep(poll)


def metric_value(metrics: str, name: str) -> float | None:
    """Sum of every sample of ``name`` (all label sets) in a Prometheus exposition, or None if absent."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name) and line[len(name) : len(name) + 1] in (" ", "{")
    ]
    return sum(values) if values else None


def write_result(path: Path, result: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


__all__ = [
    "RESULTS_DIR",
    "ROOT",
    "GroupWatch",
    "Progress",
    "Raw",
    "child_env",
    "code_measured",
    "cpu_seconds",
    "exit_on_sigterm",
    "create_topics",
    "load_average",
    "local_broker",
    "machine_info",
    "metric_value",
    "produce",
    "render_all",
    "rss_bytes",
    "scratch_dir",
    "spawn",
    "wait_ready",
    "worker_pid",
    "worker_settings",
    "write_result",
]
