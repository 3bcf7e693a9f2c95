"""``form4 demo``: a throw-away broker and worker, real and synthetic filings in, a story out.

Runs on free ports with its own data folder so it never touches a broker or worker you already run. The
real EDGAR corpus and the generated scenarios are pushed one after the other, each drained before the
next, so every count is said per source. The broker and worker are stopped at the end; their data and
the worker's log stay in the data folder (replaced by the next demo) for the commands it suggests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.adapters.consume import read_all
from streams.adapters.lag import format_table, group_lag
from streams.adapters.producer import iter_files
from streams.config.settings import Settings, get_settings
from streams.localbroker.broker import LocalBroker
from streams.localbroker.support import free_port

CORPUS_DIRS = ("xml", "submission", "html", "text", "seed")
# File name prefixes of synthetic.demo_samples, and what each kind is.
SAMPLE_KINDS = (
    ("scenario-", "alert scenarios"),
    ("synthetic-", "generated batch"),
    ("rendered-", "rendered formats"),
    ("bad-", "bad on purpose"),
)
SHOW_RULES = 12
RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _say(text: str = "") -> None:
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


@dataclass
class Source:
    """One labelled input of the demo: the real corpus, or the generated samples."""

    label: str
    paths: list[Path]
    parts: list[tuple[str, int]]
    """(what, files) per folder of the corpus or kind of sample."""

    @property
    def files(self) -> int:
        return sum(n for _, n in self.parts)

    def describe(self) -> str:
        return f"{', '.join(f'{what} {n}' for what, n in self.parts)} = {self.files} files"


def demo_sources(settings: Settings, out: Path) -> list[Source]:
    """The real corpus when present (by folder), then the generated samples (by kind)."""
    sources: list[Source] = []
    corpus = settings.corpus
    if (corpus / "manifest.tsv").is_file():
        dirs = [corpus / d for d in CORPUS_DIRS if (corpus / d).is_dir()]
        parts = [(d.name, sum(1 for _ in iter_files([d]))) for d in dirs]
        sources.append(Source(f"real: EDGAR filings from {corpus}", dirs, parts))
    else:
        _say(f"inputs: no corpus at {corpus} (FORM4_CORPUS); the generated samples only")
    from synthetic.demo_samples import write_demo_samples

    samples = write_demo_samples(out)
    names = [p.name for p in iter_files([samples])]
    kinds = [(what, sum(n.startswith(prefix) for n in names)) for prefix, what in SAMPLE_KINDS]
    sources.append(Source(f"synthetic: generated into {samples}", [samples], kinds))
    return sources


Records = dict[str, list[dict[str, Any]]]


@dataclass
class Seen:
    """The output topics' records already counted, by (topic, partition, offset)."""

    keys: set[tuple[str, int, int]] = field(default_factory=set)

    async def new(self, settings: Settings) -> Records:
        """The records that arrived on the output topics since the last call, decoded."""
        out: Records = {}
        for topic in (settings.topic_transactions, settings.topic_alerts, settings.topic_dlq):
            fresh = []
            for r in await read_all(settings, topic):
                key = (r.topic, r.partition, r.offset)
                if key not in self.keys:
                    self.keys.add(key)
                    fresh.append(orjson.loads(r.value))
            out[topic] = fresh
        return out


def _counts(settings: Settings, got: Records) -> str:
    alerts = got[settings.topic_alerts]
    raised = sum(a["kind"] == "alert_raised" for a in alerts)
    reasons = Counter(d["reason"] for d in got[settings.topic_dlq])
    why = f" ({', '.join(f'{r} {n}' for r, n in reasons.most_common())})" if reasons else ""
    return (
        f"{len(got[settings.topic_transactions])} transaction events, {raised} alerts raised, "
        f"{len(alerts) - raised} retracted, {len(got[settings.topic_dlq])} dead letters{why}"
    )


def _short(value: Any, depth: int = 0) -> Any:
    """A record cut down for reading: no nulls, false flags or empty lists; long strings and lists cut."""
    if isinstance(value, dict):
        return {
            k: _short(v, depth + 1)
            for k, v in value.items()
            if v is not None and v is not False and v != [] and v != {}
        }
    if isinstance(value, list):
        head = [_short(v, depth + 1) for v in value[:2]]
        return head + [f"... {len(value) - 2} more"] if len(value) > 2 else head
    if isinstance(value, str) and len(value) > 72:
        return f"{value[:60]}... ({len(value)} chars)"
    return value


def _pretty(title: str, record: dict[str, Any]) -> None:
    _say(f"\n== {title}")
    for line in orjson.dumps(_short(record), option=orjson.OPT_INDENT_2).decode().splitlines():
        _say(f"   {line}")


def _samples(settings: Settings, every: Records) -> None:
    """One transaction event, one alert and one dead letter, as on their topics (shortened)."""
    _say("\n(samples shortened: nulls, false flags and empty lists left out, lists and long text cut)")
    events = every[settings.topic_transactions]
    # An open-market sale reads best; any event will do.
    event = next((e for e in events if e.get("transaction_code") == "S"), events[0] if events else None)
    if event is not None:
        _pretty(f"one transaction event ({settings.topic_transactions}, form4.transaction/1)", event)
    raised = [a for a in every[settings.topic_alerts] if a["kind"] == "alert_raised"]
    if raised:
        alert = min(raised, key=lambda a: (RANK.get(a["severity"], 9), a["rule"], a["alert_id"]))
        _pretty(f"one alert, the most severe ({settings.topic_alerts}, form4.alert/1)", alert)
    letters = every[settings.topic_dlq]
    if letters:
        _pretty(f"one dead letter ({settings.topic_dlq}, form4.dead_letter/1)", letters[0])


def metric_sum(body: str, name: str) -> float:
    """The sum of every sample of metric ``name`` (all labels) in a Prometheus text exposition."""
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _one_moment(settings: Settings, web_port: int, every: Records) -> None:
    """Lag from the broker and /metrics from the worker, read one right after the other, once drained."""
    at = datetime.now(UTC).strftime("%H:%M:%S UTC")
    lag = await group_lag(settings)
    metrics = _http(f"http://127.0.0.1:{web_port}/metrics")[1].decode()
    _say(f"\n== lag and metrics, read together at {at}, after the worker drained")
    _say(format_table(lag))
    rows = [
        ("transaction events", len(every[settings.topic_transactions]), "form4_events_emitted_total"),
        ("alerts", len(every[settings.topic_alerts]), "form4_alerts_total"),
        ("dead letters", len(every[settings.topic_dlq]), "form4_dead_letters_total"),
        ("consumer lag (form4 lag)", lag.total_lag, "form4_consumer_lag"),
    ]
    _say(f"   {'':<26}{'topics':>8}{'/metrics':>10}")
    for what, counted, metric in rows:
        value = int(metric_sum(metrics, metric))
        note = "" if value == counted else "  <- differs"
        _say(f"   {what:<26}{counted:>8}{value:>10}  {metric}{note}")
    positions = int(metric_sum(metrics, "form4_positions_tracked"))
    _say(f"   positions tracked: {positions} (form4_positions_tracked)")


def _alerts_by_rule(settings: Settings, every: Records) -> None:
    alerts = every[settings.topic_alerts]
    by_rule = Counter((a["rule"], a["severity"]) for a in alerts if a["kind"] == "alert_raised")
    _say(f"\n== alerts raised by rule and severity (all sources; {len(by_rule)} kinds)")
    ranked = sorted(by_rule.items(), key=lambda kv: (RANK.get(kv[0][1], 9), kv[0][0]))
    for (rule, severity), count in ranked[:SHOW_RULES]:
        _say(f"   {rule:<24}{severity:<10}{count:>6}")
    if len(ranked) > SHOW_RULES:
        _say(f"   ... {len(ranked) - SHOW_RULES} more kinds: `form4 replay ... --alerts` lists them all")


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


def _push(paths: Iterable[Path], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "push", *map(str, paths)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    said = done.stdout.strip().splitlines()
    return said[-1] if said else f"exit {done.returncode}: {done.stderr.strip()[:200]}"


def _next_steps(data: Path, sources: list[Source]) -> None:
    samples = sources[-1].paths[0]
    _say(f"\n== the demo's data is left in {data} (the next demo replaces it)")
    _say(f"   {data / 'worker.log'}   the worker's log")
    _say(f"   {samples}   the generated filings")
    _say(f"   {data / 'broker'}   the broker's data and log")
    _say("\n== next, try")
    _say(f"   form4 replay {samples} --alerts    # the same alerts again, no Kafka needed")
    _say("   form4 broker start; form4 worker    # then the live page: http://127.0.0.1:6066/")
    _say(f"   form4 push {samples}    # in another shell, while the worker runs")
    _say("   form4 alerts tail --from-beginning --min-severity high    # alerts as the worker raises them")


def demo_env(settings: Settings) -> dict[str, str]:
    """The environment of the demo's worker and pushes: ours, with every ``FORM4_*`` variable replaced
    by ``settings`` (so they read back the same thresholds, topics, security and the demo's ports)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")} | settings.to_env()


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
    env = demo_env(settings)
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
        sources = demo_sources(settings, data / "samples")
        _say("\n== inputs, pushed one source after the other, each drained before the next")
        seen = Seen()
        every: Records = {}
        for source in sources:
            _say(f"-- {source.label}")
            _say(f"   {source.describe()}")
            _say(f"   push: {_push(source.paths, env)}")
            asyncio.run(_wait_drained(settings))
            got = asyncio.run(seen.new(settings))
            _say(f"   out: {_counts(settings, got)}")
            for topic, records in got.items():
                every.setdefault(topic, []).extend(records)
        _samples(settings, every)
        _alerts_by_rule(settings, every)
        asyncio.run(_one_moment(settings, web_port, every))
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        broker.stop()
        _say("\nstopped the worker and the broker")
    _next_steps(data, sources)
    return 0
