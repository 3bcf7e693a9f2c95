"""A form4 worker running as a real separate process against the test broker.

Each test gets its own app id (consumer group), topic names and data folder, so tests never see
each other's messages or offsets even though they share one broker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from streams.adapters.consume import read_all
from streams.adapters.lag import group_lag
from streams.adapters.topics_admin import ensure_topics
from streams.config.settings import Settings
from streams.localbroker.broker import free_port
from streams.worker.watchdog import EXIT_STALLED


@dataclass
class WorkerProcess:
    """One ``form4 worker`` subprocess plus the settings it runs with."""

    settings: Settings
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    stall_restarts: int = 0
    """Restarts after the worker's stall watchdog exited it (see streams.worker.watchdog)."""
    logs: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, bootstrap: str, tmp: Path, partitions: int = 2, **overrides: object) -> WorkerProcess:
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap=bootstrap,
            data_dir=tmp,
            app_id=f"form4-test-{tag}",
            web_port=free_port(),
            topic_raw=f"t{tag}.raw",
            topic_parsed=f"t{tag}.parsed",
            topic_backfill=f"t{tag}.backfill",
            topic_parsed_backfill=f"t{tag}.parsed.backfill",
            topic_transactions=f"t{tag}.transactions",
            topic_alerts=f"t{tag}.alerts",
            topic_dlq=f"t{tag}.dlq",
            topic_webhook_dlq=f"t{tag}.webhooks.dlq",
            topic_partitions=partitions,
            session_timeout_seconds=10.0,
            stall_seconds=60.0,
            **overrides,  # type: ignore[arg-type]
        )
        # create() is called from sync fixtures and from async tests alike: run in a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, ensure_topics(settings)).result()
        return cls(settings=settings, data_dir=tmp)

    @property
    def env(self) -> dict[str, str]:
        """Our environment without its FORM4_ variables, plus every field of ``settings``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
        env.update(self.settings.to_env())
        # Extra workers of one group share the settings but each has a data folder of its own.
        env["FORM4_DATA_DIR"] = str(self.data_dir)
        return env

    def start(self, timeout: float = 180.0) -> None:
        self.starts += 1
        log = self.data_dir / f"worker-{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streams", "worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.get("/ready")[0] == 200:
                return
            time.sleep(0.5)
        raise TimeoutError(f"worker not ready within {timeout}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log_tail(self, chars: int = 6000) -> str:
        return self.logs[-1].read_text(errors="replace")[-chars:] if self.logs else ""

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        try:
            url = f"http://127.0.0.1:{self.settings.web_port}{path}"
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    def get_json(self, path: str) -> dict[str, object]:
        status, body = self.get(path)
        assert status == 200, (status, body[:500])
        return orjson.loads(body)  # type: ignore[no-any-return]

    async def push(self, raws: Iterable[tuple[bytes | None, bytes]]) -> int:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
            compression_type="gzip",
            max_request_size=16 * 1024 * 1024,
        )
        await producer.start()
        try:
            futures = [await producer.send(self.settings.topic_raw, value, key=key) for key, value in raws]
            for fut in futures:
                await fut
            return len(futures)
        finally:
            await producer.stop()

    async def drained(self, timeout: float = 300.0) -> None:
        """Wait until the worker has committed everything on its source topics."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lag = await group_lag(self.settings)
            if lag.total_lag == 0 and all(p.committed is not None or p.end == 0 for p in lag.partitions):
                return
            if self.proc is not None and self.proc.poll() is not None:
                if self.proc.returncode == EXIT_STALLED:
                    # What the worker's supervisor does (systemd Restart=on-failure, Docker, Kubernetes):
                    # a stalled Faust consumer (faust #523/#175) exited for a restart; resume from Kafka.
                    self.stall_restarts += 1
                    self.start()
                    continue
                raise RuntimeError(f"worker died:\n{self.log_tail()}")
            await asyncio.sleep(0.5)
        raise TimeoutError(f"worker did not drain within {timeout}s:\n{self.log_tail()}")

    async def records(self, topic: str) -> list[dict[str, object]]:
        return [orjson.loads(r.value) for r in await read_all(self.settings, topic)]

    def positions(self, as_of: date | None = None) -> dict[str, dict[str, object]]:
        """Every position in the worker's table, keyed by position key (from /positions/all), its
        rolling flows ending on ``as_of`` (the worker's default: today)."""
        body = self.get_json("/positions/all" + (f"?as_of={as_of.isoformat()}" if as_of else ""))
        return {p["key"]: p for p in body["positions"]}  # type: ignore[index,union-attr]
