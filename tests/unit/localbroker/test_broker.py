"""LocalBroker without Java: rendered files, tool lookup, port checks, pid files and the startup wait."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from click.testing import CliRunner

from streams.cli import main
from streams.config.settings import Settings, get_settings
from streams.localbroker import broker as broker_mod
from streams.localbroker import support as broker_support
from streams.localbroker.broker import BrokerError, LocalBroker, ensure_jars, find_java, find_mvn, free_port
from streams.localbroker.support import (
    NoLiveBroker,
    answers,
    cluster_id,
    is_retryable_probe_error,
    render_pom,
    render_server_properties,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def _settings(tmp_path: Path, port: int | None = None, **extra: object) -> Settings:
    return Settings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{port or free_port()}", **extra)


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port on 127.0.0.1 held by a plain (non-Kafka) listening socket that accepts and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds one empty folder and JAVA_HOME is unset: neither java nor mvn can be found."""
    bin_dir = tmp_path / "empty-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    return bin_dir


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_server_properties_render_one_loopback_kraft_node(tmp_path: Path) -> None:
    """server.properties binds broker and controller to 127.0.0.1 with the single-node settings."""
    text = render_server_properties(19092, 19093, tmp_path / "kraft")
    props = _properties(text)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path / "kraft")
    assert props["offsets.topic.num.partitions"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"
    assert all("#" not in value for value in props.values())  # .properties has no trailing comments


def test_embedded_pom_matches_repository_pom() -> None:
    """The POM embedded in Python declares the same properties and dependencies as broker/pom.xml."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}

    def summary(root: ET.Element) -> tuple[list[tuple[str, str]], list[tuple[str | None, ...]]]:
        properties = root.find("m:properties", ns)
        assert properties is not None
        props = [(el.tag.split("}")[1], el.text or "") for el in properties]
        deps = [
            tuple(d.findtext(f"m:{tag}", namespaces=ns) for tag in ("groupId", "artifactId", "version"))
            for d in root.iterfind("m:dependencies/m:dependency", ns)
        ]
        return props, deps

    repo_pom = ET.parse(REPO_ROOT / "broker" / "pom.xml").getroot()
    embedded = ET.fromstring(render_pom(Settings().kafka_version))
    assert summary(embedded) == summary(repo_pom)


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A random id whose base64 starts with "-" (StorageTool would read it as an option) is drawn again."""
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=bytes(16))])
    monkeypatch.setattr(broker_support.uuid, "uuid4", lambda: next(draws))
    assert cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"


def test_busy_port_raises_at_once_naming_the_port(
    tmp_path: Path, listening_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start() on a port another process holds raises BrokerError naming the port before looking for Java."""

    def no_java() -> str:
        raise AssertionError("start() went past the port check")

    monkeypatch.setattr(broker_mod, "find_java", no_java)
    with pytest.raises(BrokerError, match=f"port {listening_port} .*already in use"):
        LocalBroker(_settings(tmp_path, listening_port)).start(timeout=5)


def test_tcp_listener_is_not_mistaken_for_kafka(listening_port: int) -> None:
    """A port that accepts TCP connections but speaks no Kafka does not count as a broker answer."""
    assert answers(listening_port) is False


def test_missing_java_says_what_to_install(empty_path: Path) -> None:
    """Without java on PATH the error names the Debian package to install."""
    with pytest.raises(BrokerError) as caught:
        find_java()
    assert caught.value.message == (
        "java not found on PATH: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
    )


def test_missing_mvn_says_what_to_install(empty_path: Path) -> None:
    """Without mvn on PATH the error names the Debian package to install."""
    with pytest.raises(BrokerError, match=r"mvn not found on PATH: .*apt-get install maven"):
        find_mvn()


def test_start_without_java_fails_with_install_hint(tmp_path: Path, empty_path: Path) -> None:
    """start() on a free port without Java raises the install hint instead of a FileNotFoundError."""
    with pytest.raises(BrokerError, match="openjdk-17-jre-headless"):
        LocalBroker(_settings(tmp_path)).start(timeout=5)


def test_ensure_jars_redoes_an_incomplete_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A libs folder without the completion marker is wiped and resolved again, then reused as is."""
    calls = tmp_path / "mvn-calls"
    fake_mvn = tmp_path / "bin" / "mvn"
    fake_mvn.parent.mkdir()
    fake_mvn.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        'for a in "$@"; do case "$a" in -DoutputDirectory=*) out="${a#*=}";; esac; done\n'
        'mkdir -p "$out" && touch "$out/kafka.jar"\n'
    )
    fake_mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_mvn.parent}{os.pathsep}{os.environ['PATH']}")
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "half-copied.jar").touch()
    settings = _settings(tmp_path, kafka_libs_dir=libs)

    assert ensure_jars(settings) == libs
    assert ensure_jars(settings) == libs
    assert sorted(p.name for p in libs.glob("*.jar")) == ["kafka.jar"]
    assert len(calls.read_text().splitlines()) == 1
    assert "-DincludeScope=runtime" in calls.read_text()


def test_stale_pid_file_of_dead_process_is_detected(tmp_path: Path) -> None:
    """status() reports down and removes a pid file whose process has exited."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    broker = LocalBroker(_settings(tmp_path))
    broker.dir.mkdir(parents=True)
    broker.pid_file.write_text(dead.stdout)

    status = broker.status()
    assert status.state == "down" and "stale" in status.detail
    assert not broker.pid_file.exists()


def test_stale_pid_reused_by_another_process_is_left_alone(tmp_path: Path) -> None:
    """A pid file naming a live non-Kafka process counts as stale, and stop() does not signal that process."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        broker = LocalBroker(_settings(tmp_path))
        broker.dir.mkdir(parents=True)
        broker.pid_file.write_text(f"{other.pid}\n")
        assert broker.stop() is None
        assert other.poll() is None
        assert not broker.pid_file.exists()
    finally:
        other.kill()
        other.wait()


def test_stop_when_not_running_is_harmless(tmp_path: Path) -> None:
    """stop() without a broker returns None and raises nothing."""
    assert LocalBroker(_settings(tmp_path)).stop() is None


def test_non_loopback_bootstrap_is_refused(tmp_path: Path) -> None:
    """A bootstrap naming a remote host is refused: the local broker only serves 127.0.0.1."""
    with pytest.raises(BrokerError, match="only serves 127.0.0.1"):
        LocalBroker(Settings(data_dir=tmp_path, kafka_bootstrap="kafka.example.com:9092"))


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FORM4_DATA_DIR in tmp_path and a fresh settings cache around a CLI invocation."""
    monkeypatch.setenv("FORM4_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_status_exits_3_when_down(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`form4 broker status` prints one line and exits 3 when no broker runs."""
    monkeypatch.setenv("FORM4_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    result = CliRunner().invoke(main, ["broker", "status"])
    assert result.exit_code == 3
    assert result.stdout.startswith("down on 127.0.0.1:") and result.stdout.count("\n") == 1


def test_cli_error_is_one_line_without_traceback(
    cli_env: Path, listening_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`form4 broker start` on a busy port prints a one-line error on stderr and exits 1."""
    monkeypatch.setenv("FORM4_KAFKA_BOOTSTRAP", f"127.0.0.1:{listening_port}")
    result = CliRunner().invoke(main, ["broker", "start"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and str(listening_port) in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(),  # nothing listening yet
        ConnectionResetError(),
        ConnectionError("connection closed mid-response"),
        TimeoutError(),  # socket timeouts
        NoLiveBroker("no live broker yet"),  # answering, but not yet unfenced
        struct.error("unpack requires a buffer of 8 bytes"),  # a truncated answer
    ],
)
def test_a_broker_still_starting_is_probed_again(exc: Exception) -> None:
    assert is_retryable_probe_error(exc) is True


@pytest.mark.parametrize("exc", [BrokerError("the broker exited during startup"), ValueError("a bug")])
def test_a_dead_broker_or_a_bug_is_final(exc: Exception) -> None:
    assert is_retryable_probe_error(exc) is False


def test_a_kafka_listing_no_live_broker_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """answers() needs at least one live broker in the Metadata answer, not just a Kafka on the port."""
    monkeypatch.setattr(broker_support, "probe_metadata", lambda host, port, timeout: 0)
    assert answers(free_port()) is False
    monkeypatch.setattr(broker_support, "probe_metadata", lambda host, port, timeout: 1)
    assert answers(free_port()) is True


@pytest.fixture
def booting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalBroker, list[str]]]:
    """A LocalBroker whose process is 'alive' and state file written, waiting for a scripted probe.

    The list holds what each probe does ("refused", "fenced", "up"); it is consumed in order.
    """
    broker = LocalBroker(_settings(tmp_path))
    broker.dir.mkdir(parents=True)
    broker._write_state(
        broker_mod.BrokerInfo(
            os.getpid(), broker.port, free_port(), str(broker.log_file), "2024-01-01T00:00:00+00:00", "4.4.0"
        )
    )
    script: list[str] = []

    def probe(port: int, timeout: float = 2.0) -> None:
        step = script.pop(0)
        if step == "refused":
            raise ConnectionRefusedError(f"nothing on {port}")
        if step == "fenced":
            raise NoLiveBroker("no live broker yet")

    monkeypatch.setattr(broker_mod, "require_live_broker", probe)
    monkeypatch.setattr(LocalBroker, "_is_ours", lambda self, pid: True)
    yield broker, script


def test_startup_probes_until_the_broker_lists_itself(booting: tuple[LocalBroker, list[str]]) -> None:
    """Refused, then fenced, then up: the third probe ends the wait and the startup time is recorded."""
    broker, script = booting
    script.extend(["refused", "fenced", "up"])
    with stamina.set_testing(True, attempts=10):
        info = broker._wait_ready(os.getpid(), time.monotonic(), timeout=60)
    assert script == [] and info.startup_seconds is not None
    assert broker._read_state() == info


def test_a_broker_that_exits_during_startup_fails_at_once(
    booting: tuple[LocalBroker, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the process is gone there is nothing to wait for: no probe, BrokerError, state cleared."""
    broker, script = booting
    script.extend(["refused"] * 5)
    monkeypatch.setattr(LocalBroker, "_is_ours", lambda self, pid: False)
    with stamina.set_testing(True, attempts=10), pytest.raises(BrokerError, match="exited during startup"):
        broker._wait_ready(os.getpid(), time.monotonic(), timeout=60)
    assert len(script) == 5 and not broker.state_file.exists()


def test_a_broker_that_never_answers_is_stopped(
    booting: tuple[LocalBroker, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the last probe the broker is stopped and the error names the port."""
    broker, script = booting
    script.extend(["fenced"] * 10)
    stopped: list[bool] = []
    monkeypatch.setattr(LocalBroker, "stop", lambda self, timeout=30.0: stopped.append(True))
    with stamina.set_testing(True, attempts=4), pytest.raises(BrokerError, match=f"port {broker.port}"):
        broker._wait_ready(os.getpid(), time.monotonic(), timeout=60)
    assert len(script) == 10 - 4 and stopped == [True]
