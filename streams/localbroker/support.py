"""Pieces of the local broker that need no running process: the files it is started with
(Maven POM, server.properties, log4j2.properties), jar resolution, tool lookup, port checks and a
raw Kafka Metadata probe. :mod:`streams.localbroker.broker` drives the process; read that first.

Values follow ../shared/notes/kafka-and-faust.md section 3.3; comments in .properties files must be
on their own line.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import uuid
from pathlib import Path

from streams.config.settings import Settings, get_settings

_MARKER = ".form4-complete"

# Same content as broker/pom.xml at the repository root (a unit test keeps the two in step); embedded
# so `form4 broker start` works from an installed package without the checkout.
_POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>form4stream.local</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <kafka.version>{kafka_version}</kafka.version>
    <log4j.version>2.25.5</log4j.version>
    <slf4j.version>2.0.17</slf4j.version>
  </properties>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${{kafka.version}}</version></dependency>
    <!-- The Kafka POM ships no slf4j binding; direct deps win nearest-wins and pin one logging stack. -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${{slf4j.version}}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>${{log4j.version}}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${{log4j.version}}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>${{log4j.version}}</version></dependency>
  </dependencies>
</project>
"""

_SERVER_PROPERTIES = """\
# Written by form4-stream (streams/broker.py) on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
{listeners}log.dirs={log_dirs}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# default 50: the first group join would create 50 partitions
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# default 3000 ms added to every first group join
group.initial.rebalance.delay.ms=0
# Faust creates its internal topics (changelogs, repartition) itself; keep auto-creation on for them
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
# default 128 MiB on heap; Faust changelogs are compacted
log.cleaner.dedupe.buffer.size=33554432
"""

# Console -> the JVM's stdout, which LocalBroker redirects into <data_dir>/broker/broker.log; one
# file then also holds JVM crash output that log4j never sees.
LOG4J2_PROPERTIES = """\
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def render_pom(kafka_version: str) -> str:
    """The Maven POM whose runtime classpath is a complete Kafka ``kafka_version`` broker."""
    return _POM.format(kafka_version=kafka_version)


_PLAINTEXT_LISTENERS = """\
listeners=PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{broker_port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
"""


def render_server_properties(
    broker_port: int, controller_port: int, log_dirs: Path, listeners: str | None = None
) -> str:
    """``server.properties`` of one combined broker+controller node bound to 127.0.0.1.

    ``listeners`` replaces the PLAINTEXT listener lines (see ``BrokerSecurity.listener_properties``).
    """
    if listeners is None:
        listeners = _PLAINTEXT_LISTENERS.format(broker_port=broker_port, controller_port=controller_port)
    return _SERVER_PROPERTIES.format(controller_port=controller_port, log_dirs=log_dirs, listeners=listeners)


class BrokerError(RuntimeError):
    """The local broker cannot be set up, started or stopped; ``message`` is one line."""

    def __init__(self, message: str, log_tail: str | None = None) -> None:
        self.message, self.log_tail = message, log_tail
        super().__init__(f"{message}\n--- broker log tail ---\n{log_tail}" if log_tail else message)


def find_java() -> str:
    """Path of ``$JAVA_HOME/bin/java`` or ``java`` on PATH; raises BrokerError naming what to install."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(Path(java_home, "bin", "java"), os.X_OK):
        return str(Path(java_home, "bin", "java"))
    found = shutil.which("java")
    if not found:
        raise BrokerError(
            "java not found on PATH: install a Java 17+ runtime "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    return found


def find_mvn() -> str:
    """Path of ``mvn`` on PATH; raises BrokerError naming what to install."""
    found = shutil.which("mvn")
    if not found:
        raise BrokerError(
            "mvn not found on PATH: install Apache Maven 3.6.3+ (Debian: apt-get install maven)"
        )
    return found


def ensure_jars(settings: Settings | None = None) -> Path:
    """Resolve the broker's runtime jars into ``settings.libs_dir`` once; returns that folder.

    A marker file holding the POM's hash is written last, so an interrupted copy (or a changed
    POM) is redone from scratch instead of leaving a half classpath behind.
    """
    settings = settings or get_settings()
    libs = settings.libs_dir
    pom = render_pom(settings.kafka_version)
    digest = hashlib.sha256(pom.encode()).hexdigest()
    marker = libs / _MARKER
    if marker.is_file() and marker.read_text().strip() == digest:
        return libs
    mvn = find_mvn()
    libs.parent.mkdir(parents=True, exist_ok=True)
    # A lock so two processes (e.g. parallel test sessions) don't copy into the same folder.
    with open(libs.parent / f".{libs.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text().strip() == digest:
            return libs
        shutil.rmtree(libs, ignore_errors=True)
        # The POM is embedded (not read from the checkout) so an installed package works too.
        with tempfile.TemporaryDirectory(prefix="form4-pom-") as tmp:
            pom_path = Path(tmp, "pom.xml")
            pom_path.write_text(pom)
            cmd = [
                mvn, "-B", "-q", "-f", str(pom_path),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={libs}",
            ]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, check=False)
        if done.returncode != 0 or not any(libs.glob("*.jar")):
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise BrokerError(f"Maven could not resolve the Kafka {settings.kafka_version} jars", tail)
        marker.write_text(digest + "\n")
    return libs


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something listens on 127.0.0.1:``port`` (or on the wildcard address)."""
    with socket.socket() as sock:
        # SO_REUSEADDR: TIME_WAIT leftovers of a just-stopped broker must not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    return buf


def probe_metadata(host: str, port: int, timeout: float = 2.0) -> int:
    """Send a Kafka Metadata v1 request (no topics); return the number of live brokers it lists.

    Raises OSError when nothing answers. A bare TCP connect is not enough: the KRaft broker opens
    its port before it has caught up with the metadata log and been unfenced.
    """
    client_id = b"form4-probe"
    # Header: api_key=3 (Metadata), api_version=1, correlation_id=7, client_id; body: empty topic list.
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        correlation_id, brokers = struct.unpack(">ii", _recv_exact(sock, size)[:8])
    if correlation_id != 7:
        raise ConnectionError(f"not a Kafka answer on port {port}")
    return int(brokers)


class NoLiveBroker(ConnectionError):
    """Kafka answered the probe but lists no live broker yet (KRaft: not caught up, still fenced)."""


def is_retryable_probe_error(exc: Exception) -> bool:
    """Whether a failed probe means "not yet": the one retry predicate of the broker launcher.

    Nothing listening, a closed, reset or timed-out connection, a truncated answer, or no live
    broker listed; anything else (a BrokerError: the process died) is final.
    """
    return isinstance(exc, OSError | struct.error)


def require_live_broker(port: int, timeout: float = 2.0) -> None:
    """Return when a Kafka broker on 127.0.0.1:``port`` lists at least one live broker.

    Raises:
        OSError or struct.error: see :func:`is_retryable_probe_error` (NoLiveBroker for "no live broker").
    """
    if probe_metadata("127.0.0.1", port, timeout=timeout) == 0:
        raise NoLiveBroker(f"Kafka on port {port} lists no live broker yet")


def answers(port: int) -> bool:
    """True when a Kafka broker on 127.0.0.1:``port`` lists at least one live broker."""
    try:
        require_live_broker(port)
    except Exception as exc:
        if is_retryable_probe_error(exc):
            return False
        raise
    return True


def cluster_id() -> str:
    """A fresh KRaft cluster id in the `kafka-storage random-uuid` shape (22 chars of base64url)."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # Like Kafka's Uuid.randomUuid: a leading "-" would be parsed as an option by StorageTool.
        if not value.startswith("-"):
            return value


__all__ = [
    "LOG4J2_PROPERTIES", "BrokerError", "NoLiveBroker", "answers", "cluster_id", "ensure_jars", "find_java",
    "find_mvn", "free_port", "is_retryable_probe_error", "port_in_use", "probe_metadata", "render_pom",
    "render_server_properties", "require_live_broker",
]  # fmt: skip
