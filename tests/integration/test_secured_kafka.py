"""A secured Kafka: SASL (SCRAM-SHA-256/512, PLAIN) over plaintext and over TLS, with every command.

The module starts its own jar broker with a SASL_PLAINTEXT listener and a SASL_SSL listener whose
certificate is signed by a throwaway CA made with the JDK's keytool (streams.localbroker.security).
The session broker of the other tests stays PLAINTEXT.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.config.settings import Settings
from streams.localbroker.broker import BrokerError, LocalBroker, free_port
from streams.localbroker.security import BrokerSecurity, make_test_pki
from tests.support.worker import WorkerProcess

REPO = Path(__file__).parents[2]
FILING = REPO / "tests" / "fixtures" / "filings" / "submission_form4.txt"
ACCESSION = "0009999999-24-000123"
USER, PASSWORD = "alice", "alice-Secret-1"


@dataclass(frozen=True)
class SecuredKafka:
    sasl_bootstrap: str
    """SASL_PLAINTEXT listener."""
    tls_bootstrap: str
    """SASL_SSL listener (certificate for 127.0.0.1, signed by ``ca_file``)."""
    ca_file: Path

    def login(self, protocol: str = "SASL_SSL", **extra: Any) -> dict[str, Any]:
        """Settings fields of a client of this broker (SCRAM-SHA-256 as alice unless overridden)."""
        fields: dict[str, Any] = {
            "kafka_bootstrap": self.tls_bootstrap if protocol.endswith("SSL") else self.sasl_bootstrap,
            "kafka_security_protocol": protocol,
            "kafka_sasl_mechanism": "SCRAM-SHA-256",
            "kafka_sasl_username": USER,
            "kafka_sasl_password": PASSWORD,
        }
        if protocol.endswith("SSL"):
            fields["kafka_ssl_cafile"] = self.ca_file
        return {**fields, **extra}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    folder = tmp_path_factory.mktemp("secured-kafka")
    port, tls_port = free_port(), free_port()
    try:
        tls = make_test_pki(folder / "pki")
        broker = LocalBroker(
            Settings(data_dir=folder, kafka_bootstrap=f"127.0.0.1:{port}"),
            BrokerSecurity(users=((USER, PASSWORD),), tls=tls, tls_port=tls_port),
        )
        broker.start(timeout=180)
    except BrokerError as exc:
        reason = f"no secured local broker: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield SecuredKafka(f"127.0.0.1:{port}", f"127.0.0.1:{tls_port}", tls.ca_file)
    finally:
        broker.stop()


def form4(args: list[str], settings: Settings, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``form4 ARGS`` with exactly ``settings`` in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
    env.update(settings.to_env())
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (asserting there is exactly one, no traceback).

    ``alerts tail`` announces what it tails in a ``# ...`` header line first; that is not an error.
    """
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("# ")]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


async def test_worker_push_lag_and_topics_work_with_credentials_over_tls(
    secured: SecuredKafka, tmp_path: Path
) -> None:
    """A worker on SASL_SSL/SCRAM-SHA-256 processes a filing pushed by `form4 push` with the same login."""
    login = secured.login()
    worker = WorkerProcess.create(login.pop("kafka_bootstrap"), tmp_path, partitions=1, **login)
    worker.start()
    try:
        pushed = form4(["push", str(FILING)], worker.settings)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.strip().splitlines()[-1].startswith("sent 1,"), pushed.stdout
        await worker.drained()
        events = await worker.records(worker.settings.topic_transactions)
        assert events, worker.log_tail()
        assert {e["accession_number"] for e in events} == {ACCESSION}

        lag = form4(["lag", "--json"], worker.settings)
        assert lag.returncode == 0, lag.stderr
        report = orjson.loads(lag.stdout)
        assert report["group"] == worker.settings.app_id
        assert report["total_lag"] == 0
        assert {p["topic"] for p in report["partitions"]} >= {worker.settings.topic_raw}

        listed = form4(["topics", "list"], worker.settings)
        assert listed.returncode == 0, listed.stderr
        assert worker.settings.topic_raw in listed.stdout.split()
    finally:
        worker.stop()
    assert "SaslAuthenticationFailed" not in worker.log_tail(200_000)


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [("SASL_PLAINTEXT", "SCRAM-SHA-256"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"), ("SASL_PLAINTEXT", "PLAIN"),
     ("SASL_SSL", "SCRAM-SHA-512")],
)  # fmt: skip
def test_topics_create_with_each_mechanism(secured: SecuredKafka, protocol: str, mechanism: str) -> None:
    settings = Settings(**secured.login(protocol, kafka_sasl_mechanism=mechanism))
    done = form4(["topics", "create"], settings)
    assert done.returncode == 0, done.stderr
    assert {line.split()[-1] for line in done.stdout.splitlines()} == set(settings.all_topics)


@pytest.mark.parametrize(
    "command",
    [
        ["push", str(FILING)],
        ["lag"],
        ["worker"],
        ["topics", "list"],
        ["alerts", "tail", "--timeout", "5"],
    ],
    ids=["push", "lag", "worker", "topics", "alerts"],
)
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_a_wrong_password_is_one_line_and_exit_3(
    secured: SecuredKafka, tmp_path: Path, command: list[str], protocol: str
) -> None:
    settings = Settings(**secured.login(protocol, kafka_sasl_password="wrong"), data_dir=tmp_path)
    done = form4(command, settings)
    line = one_line(done)
    assert done.returncode == 3, done.stderr
    assert "authentication failed" in line
    assert f"user '{USER}' (SCRAM-SHA-256)" in line
    assert "wrong" not in line  # the password is never echoed


@pytest.mark.parametrize(
    ("protocol", "bootstrap", "extra", "says"),
    [
        # TLS without our CA: the system CAs do not trust the throwaway one
        ("SASL_SSL", "tls", {"kafka_ssl_cafile": None}, "certificate verify failed"),
        ("SASL_PLAINTEXT", "sasl", {"kafka_sasl_username": "mallory"}, "authentication failed"),
        ("PLAINTEXT", "sasl", {}, "is FORM4_KAFKA_SECURITY_PROTOCOL the listener's protocol?"),
        ("SASL_PLAINTEXT", "tls", {}, "is FORM4_KAFKA_SECURITY_PROTOCOL the listener's protocol?"),
    ],
    ids=["untrusted-ca", "unknown-user", "plaintext-on-sasl", "sasl-on-tls"],
)
def test_every_refusal_says_why_in_one_line(
    secured: SecuredKafka, protocol: str, bootstrap: str, extra: dict[str, Any], says: str
) -> None:
    fields = secured.login(protocol) if protocol.startswith("SASL_") else {}
    if protocol == "SASL_PLAINTEXT" or protocol == "PLAINTEXT":
        fields.pop("kafka_ssl_cafile", None)
    fields["kafka_bootstrap"] = secured.tls_bootstrap if bootstrap == "tls" else secured.sasl_bootstrap
    settings = Settings(**{**fields, **extra})
    done = form4(["push", str(FILING)], settings)
    assert says in one_line(done)
    assert done.returncode == 3, done.stderr
