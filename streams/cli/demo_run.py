"""``form4 demo``: a throw-away broker and worker, real filings in, a report out, nothing left behind.

Runs on free ports with its own data folder so it never touches a broker or worker you already run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson

from streams.adapters.consume import read_all
from streams.adapters.lag import format_table, group_lag
from streams.adapters.producer import iter_files
from streams.config.settings import Settings, get_settings
from streams.localbroker.broker import LocalBroker
from streams.localbroker.support import free_port

CORPUS_DIRS = ("xml", "submission", "html", "text", "seed")
SHOW_ALERTS = 25
OUR_METRICS = (
    "form4_filings",
    "form4_dead_letters",
    "form4_events",
    "form4_alerts",
    "form4_reconciliation",
    "form4_positions",
    "form4_processing_latency",
    "form4_consumer_lag",
)


def _say(text: str) -> None:
    print(text, flush=True)


def _http(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_ready(port: int, worker: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode} before it was ready")
        try:
            if _http(f"http://127.0.0.1:{port}/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"worker not ready after {timeout}s")


def demo_inputs(settings: Settings, out: Path) -> list[Path]:
    """The real corpus when present, plus generated scenarios that trip every alert rule."""
    paths: list[Path] = []
    corpus = settings.corpus
    if (corpus / "manifest.tsv").is_file():
        paths += [corpus / d for d in CORPUS_DIRS if (corpus / d).is_dir()]
        _say(f"inputs: the real EDGAR corpus in {corpus}")
    else:
        _say(f"inputs: no corpus at {corpus}; using the project's own samples")
    from synthetic.demo_samples import write_demo_samples

    paths.append(write_demo_samples(out))
    return paths


async def _report(settings: Settings, web_port: int) -> None:
    txns = await read_all(settings, settings.topic_transactions)
    dlq = await read_all(settings, settings.topic_dlq)
    alerts = [orjson.loads(r.value) for r in await read_all(settings, settings.topic_alerts)]
    forms = Counter(orjson.loads(r.value)["source_format"] for r in txns)
    _say(
        f"\n== transactions: {len(txns)} events on {settings.topic_transactions} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(forms.items()))})"
    )
    reasons = Counter(orjson.loads(r.value)["reason"] for r in dlq)
    _say(f"== dead letters: {len(dlq)} on {settings.topic_dlq}")
    for reason, count in reasons.most_common():
        _say(f"   {reason:<24}{count}")
    stats = orjson.loads(_http(f"http://127.0.0.1:{web_port}/stats")[1])
    _say(
        f"== positions tracked: {stats['positions']} ({stats['positions_with_breaks']} with reconciliation "
        f"breaks); filings applied {stats['filings_applied']}, superseded by amendments "
        f"{stats['filings_superseded']}"
    )
    _say(
        f"== alerts: {sum(a['kind'] == 'alert_raised' for a in alerts)} raised, "
        f"{sum(a['kind'] == 'alert_retracted' for a in alerts)} retracted"
    )
    by_rule = Counter((a["rule"], a["severity"]) for a in alerts if a["kind"] == "alert_raised")
    for (rule, severity), count in sorted(by_rule.items()):
        _say(f"   {rule:<22}{severity:<10}{count}")
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    shown = sorted((a for a in alerts), key=lambda a: (rank[a["severity"]], a["rule"]))[:SHOW_ALERTS]
    _say(f"   the {len(shown)} most severe:")
    for a in shown:
        # A retraction's summary already starts with "RETRACTED:".
        _say(f"   [{a['severity']:<8}] {a['rule']:<20} {a['summary'][:160]}")
    _say("\n== consumer lag")
    _say(format_table(await group_lag(settings)))
    body = _http(f"http://127.0.0.1:{web_port}/metrics")[1].decode()
    _say("\n== metrics (form4_* from /metrics)")
    for line in body.splitlines():
        if line.startswith(OUR_METRICS) and "_bucket" not in line and "_created" not in line:
            _say(f"   {line}")


async def _wait_drained(settings: Settings, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lag = await group_lag(settings)
        if (
            lag.partitions
            and lag.total_lag == 0
            and all(p.committed is not None or p.end == 0 for p in lag.partitions)
        ):
            return
        await asyncio.sleep(1.0)
    raise TimeoutError(f"worker did not catch up within {timeout}s")


def run_demo() -> int:
    base = get_settings()
    data = (base.data_dir / "demo").resolve()
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    web_port = free_port()
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        data_dir=data,
        web_port=web_port,
        app_id="form4-demo",
        corpus=base.corpus.resolve(),
    )
    env = {
        **os.environ,
        "FORM4_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FORM4_DATA_DIR": str(data),
        "FORM4_WEB_PORT": str(web_port),
        "FORM4_APP_ID": settings.app_id,
        "FORM4_CORPUS": str(settings.corpus),
    }
    broker = LocalBroker(settings)
    worker: subprocess.Popen[bytes] | None = None
    log_path = data / "worker.log"
    try:
        info = broker.start()
        _say(
            f"broker: Kafka {info.kafka_version} on {info.bootstrap} (started in {info.startup_seconds:.1f}s)"
        )
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "streams", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_ready(web_port, worker)
        _say(f"worker: ready on http://127.0.0.1:{web_port} (log {log_path})")
        inputs = demo_inputs(settings, data / "samples")
        files = list(iter_files(inputs))
        pushed = subprocess.run(
            [sys.executable, "-m", "streams", "push", *map(str, inputs)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        _say(f"push: {len(files)} files -> {settings.topic_raw}: {pushed.stdout.strip()}")
        asyncio.run(_wait_drained(settings))
        asyncio.run(_report(settings, web_port))
        return 0
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        broker.stop()
        _say("\nstopped worker and broker")
