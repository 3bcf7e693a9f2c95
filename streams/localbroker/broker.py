"""A local single-node Kafka (KRaft, combined broker+controller) run from Maven Central jars.

No Docker and no tarball: ``ensure_jars`` resolves ``org.apache.kafka:kafka_2.13`` once with Maven,
``LocalBroker.start`` formats the storage and launches ``java ... kafka.Kafka server.properties``.
Everything lives under ``<data_dir>/broker/``; see ../shared/notes/kafka-and-faust.md section 3.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import stamina

from streams.config.settings import Settings, get_settings
from streams.localbroker.security import BrokerSecurity
from streams.localbroker.support import (
    LOG4J2_PROPERTIES,
    BrokerError,
    answers,
    cluster_id,
    ensure_jars,
    find_java,
    find_mvn,
    free_port,
    is_retryable_probe_error,
    port_in_use,
    probe_metadata,
    render_server_properties,
    require_live_broker,
)

_LOOPBACK = {"127.0.0.1", "localhost"}


@dataclass(frozen=True)
class BrokerInfo:
    """What ``start`` and ``status`` report (also the JSON state file's content)."""

    pid: int
    port: int
    controller_port: int
    log_path: str
    started_at: str
    kafka_version: str
    startup_seconds: float | None = None
    already_running: bool = False
    probe_port: int | None = None
    """A secured broker's loopback PLAINTEXT port, probed for readiness; ``None``: ``port``."""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True)
class BrokerStatus:
    """``state`` is "up", "starting" (process alive, no Kafka answer yet) or "down"."""

    state: str
    port: int
    pid: int | None = None
    uptime_seconds: float | None = None
    detail: str = ""

    @property
    def up(self) -> bool:
        return self.state == "up"


class LocalBroker:
    """One local KRaft node on 127.0.0.1, port taken from the first FORM4_KAFKA_BOOTSTRAP server.

    With ``security`` that port is a SASL_PLAINTEXT listener (see :mod:`streams.localbroker.security`).
    """

    def __init__(self, settings: Settings | None = None, security: BrokerSecurity | None = None) -> None:
        self.settings = settings or get_settings()
        self.security = security
        host, _, port = self.settings.bootstrap_servers[0].rpartition(":")
        if host not in _LOOPBACK:
            raise BrokerError(
                f"FORM4_KAFKA_BOOTSTRAP starts with {host}:{port}; the local broker only serves 127.0.0.1"
            )
        self.port = int(port)
        self.dir = self.settings.data_dir.resolve() / "broker"
        self.kraft_dir = self.dir / "kraft"
        self.pid_file = self.dir / "broker.pid"
        self.state_file = self.dir / "state.json"
        self.log_file = self.dir / "broker.log"
        self.props_file = self.dir / "server.properties"
        self.log4j_file = self.dir / "log4j2.properties"
        self._proc: subprocess.Popen[bytes] | None = None

    # --- process bookkeeping -----------------------------------------------------------------
    def _read_state(self) -> BrokerInfo | None:
        try:
            return BrokerInfo(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _write_state(self, info: BrokerInfo) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(info), indent=2) + "\n")
        tmp.replace(self.state_file)
        self.pid_file.write_text(f"{info.pid}\n")

    def _clear_state(self) -> None:
        for path in (self.pid_file, self.state_file):
            path.unlink(missing_ok=True)

    def _recorded_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        """Alive and really our broker (a stale pid file may name a reused pid)."""
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # also reaps our own exited child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # someone else's process: certainly not the broker we started
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return True  # no /proc (not Linux): trust the signal probe
        return b"kafka.Kafka" in cmdline and str(self.props_file).encode() in cmdline

    def _probe_port(self) -> int:
        """Where the readiness probe asks: a SASL listener refuses it before authentication."""
        state = self._read_state()
        return state.probe_port if state is not None and state.probe_port is not None else self.port

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no broker log)"

    # --- public API ----------------------------------------------------------------------------
    def status(self) -> BrokerStatus:
        """Up/starting/down with pid and uptime; removes a stale pid file when it finds one."""
        pid = self._recorded_pid()
        if pid is None:
            busy = " (the port is in use by another process)" if port_in_use(self.port) else ""
            return BrokerStatus("down", self.port, detail=f"not running{busy}")
        if not self._is_ours(pid):
            self._clear_state()
            return BrokerStatus(
                "down", self.port, detail=f"removed stale pid file (pid {pid} is not running)"
            )
        state = self._read_state()
        uptime = None
        if state is not None:
            uptime = (datetime.now(UTC) - datetime.fromisoformat(state.started_at)).total_seconds()
        if answers(self._probe_port()):
            return BrokerStatus("up", self.port, pid, uptime)
        return BrokerStatus("starting", self.port, pid, uptime, "process alive, Kafka not answering yet")

    def start(self, timeout: float = 120.0) -> BrokerInfo:
        """Start the broker (or find it running) and wait until it answers a Metadata request."""
        began = time.monotonic()
        pid = self._recorded_pid()
        if pid is not None and self._is_ours(pid):
            info = self._read_state()
            if info is not None and answers(self._probe_port()):
                return BrokerInfo(**{**asdict(info), "already_running": True})
            return self._wait_ready(pid, began, timeout)  # another `start` is still booting it
        if pid is not None:
            self._clear_state()  # stale
        if port_in_use(self.port):
            raise BrokerError(
                f"port {self.port} on 127.0.0.1 is already in use by another process; "
                "stop it or set FORM4_KAFKA_BOOTSTRAP to a free port"
            )
        java = find_java()
        libs = ensure_jars(self.settings)
        began = time.monotonic()  # Maven resolution is a one-off; startup time excludes it
        self.dir.mkdir(parents=True, exist_ok=True)
        controller_port = free_port()
        probe_port = None
        listeners = None
        if self.security is not None:
            probe_port = free_port()
            listeners = self.security.listener_properties(self.port, probe_port, controller_port)
        props = render_server_properties(self.port, controller_port, self.kraft_dir, listeners)
        self.props_file.write_text(props)
        self.props_file.chmod(0o600)  # may hold the TLS keystore password and PLAIN users' passwords
        self.log4j_file.write_text(LOG4J2_PROPERTIES)
        common = [f"-Dlog4j2.configurationFile={self.log4j_file}", f"-Dkafka.logs.dir={self.dir}"]
        common += ["-cp", f"{libs}/*"]  # the JVM expands the wildcard (no shell involved)
        if not (self.kraft_dir / "meta.properties").is_file():
            fmt = [java, *common, "kafka.tools.StorageTool", "format", "-t", cluster_id()]
            fmt += ["-c", str(self.props_file), "--ignore-formatted"]
            if self.security is not None:
                fmt += self.security.format_args()  # SCRAM users live in the metadata log
            done = subprocess.run(fmt, capture_output=True, text=True, timeout=timeout, check=False)
            if done.returncode != 0:
                raise BrokerError("formatting the broker storage failed", (done.stdout + done.stderr)[-4000:])
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))  # keep one previous run
        jvm = [*self.settings.kafka_heap.split(), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
        jvm += ["-Djava.awt.headless=true"]
        with open(self.log_file, "wb") as log:
            # Own session: Ctrl-C in the launching shell must not kill the broker; stop() kills the group.
            self._proc = subprocess.Popen(
                [java, *jvm, *common, "kafka.Kafka", str(self.props_file)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        info = BrokerInfo(
            self._proc.pid, self.port, controller_port, str(self.log_file),
            datetime.now(UTC).isoformat(timespec="seconds"), self.settings.kafka_version,
            probe_port=probe_port,
        )  # fmt: skip
        self._write_state(info)
        return self._wait_ready(self._proc.pid, began, timeout)

    def _wait_ready(self, pid: int, began: float, timeout: float) -> BrokerInfo:
        try:
            for attempt in stamina.retry_context(
                on=is_retryable_probe_error,
                attempts=None,  # bounded by the timeout
                timeout=max(0.0, began + timeout - time.monotonic()),
                wait_initial=0.2,  # a steady poll: the broker is ready when it is, no need to back off
                wait_max=0.2,
                wait_jitter=0.0,
            ):
                with attempt:
                    if not self._is_ours(pid):  # a BrokerError is final: no retry
                        self._clear_state()
                        died = f"the broker (pid {pid}) exited during startup; log: {self.log_file}"
                        raise BrokerError(died, self._log_tail())
                    require_live_broker(self._probe_port())
        except Exception as exc:  # the last "not yet" after the timeout, or a final error
            if not is_retryable_probe_error(exc):
                raise
            tail = self._log_tail()
            self.stop()
            raise BrokerError(
                f"the broker did not answer on port {self.port} within {timeout:.0f}s", tail
            ) from exc
        info = self._read_state()
        if info is None:
            raise BrokerError(f"broker state file {self.state_file} vanished during startup")
        info = BrokerInfo(**{**asdict(info), "startup_seconds": round(time.monotonic() - began, 2)})
        self._write_state(info)
        return info

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the broker's process group, SIGKILL after ``timeout``; returns the pid it stopped."""
        pid = self._recorded_pid()
        if pid is None or not self._is_ours(pid):
            self._clear_state()
            return None
        try:
            os.killpg(pid, signal.SIGTERM)  # controlled shutdown; pgid == pid (start_new_session)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while self._is_ours(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if self._is_ours(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            kill_deadline = time.monotonic() + 10
            while self._is_ours(pid) and time.monotonic() < kill_deadline:
                time.sleep(0.1)
        self._clear_state()
        return pid


__all__ = [
    "BrokerError", "BrokerInfo", "BrokerSecurity", "BrokerStatus", "LocalBroker",
    "ensure_jars", "find_java", "find_mvn", "free_port", "port_in_use", "probe_metadata",
]  # fmt: skip
