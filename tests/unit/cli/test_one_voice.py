"""One voice for every command: user errors are one line and an exit code (streams/cli/exit_codes.py).

Run through click's CliRunner as a user would run `form4`; a closed port stands in for a Kafka that is
down.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from streams.cli import main
from streams.cli.exit_codes import PARTLY_FAILED, UNREACHABLE, USAGE
from streams.cli.options import AMOUNT, parse_amount
from streams.config.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test reads FORM4_* anew, without the caller's own variables."""
    import os

    for name in [k for k in os.environ if k.startswith("FORM4_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def assert_one_line(result: Result) -> str:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("FORM4_WEB_PORT", "abc", ("export", "positions", "-o", "out.csv")),
        ("FORM4_KAFKA_BOOTSTRAP", "no-port-here", ("alerts", "tail", "--timeout", "1")),
        ("FORM4_TOPIC_PARTITIONS", "0", ("dlq", "list")),
        ("FORM4_STORE", "postgres://", ("export", "alerts", "-o", "a.jsonl")),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(
    variable: str, value: str, command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*command, env={variable: value})
    assert result.exit_code == USAGE, result.output
    line = assert_one_line(result)
    assert variable in line and "bad setting" in line
    assert line.startswith(f"form4 {command[0]}")


def test_a_secret_setting_is_named_but_never_echoed() -> None:
    result = run("dlq", "list", env={"FORM4_WEBHOOKS": '[{"url": "ftp://x", "secret": "hunter2"}]'})
    assert result.exit_code == USAGE
    line = assert_one_line(result)
    assert "FORM4_WEBHOOKS" in line and "hunter2" not in line


@pytest.mark.parametrize(
    "command",
    [
        ("alerts", "tail", "--timeout", "5"),
        ("export", "transactions", "-o", "tx.parquet"),
        ("export", "alerts", "-o", "alerts.csv"),
        ("dlq", "list"),
        ("dlq", "replay"),
    ],
)
def test_kafka_down_is_one_line_and_exit_3(
    command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*command, "--bootstrap-server", f"127.0.0.1:{closed_port()}")
    assert result.exit_code == UNREACHABLE, result.output
    line = assert_one_line(result)
    assert "Kafka" in line
    assert list(tmp_path.iterdir()) == [], "a failed export leaves no file behind"


def test_bootstrap_server_overrides_the_environment_and_is_checked() -> None:
    port = closed_port()
    # The environment names a host that does not resolve; the option wins, and its port is closed.
    result = run(
        "dlq",
        "list",
        "--bootstrap-server",
        f"127.0.0.1:{port}",
        env={"FORM4_KAFKA_BOOTSTRAP": "nowhere.invalid:1"},
    )
    assert result.exit_code == UNREACHABLE
    assert f"127.0.0.1:{port}" in assert_one_line(result)
    bad = run("dlq", "list", "--bootstrap-server", "localhost")
    assert bad.exit_code == USAGE and "'localhost' is not host:port" in bad.output


def test_a_worker_that_is_not_there_is_exit_3(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    result = run("export", "positions", "-o", str(out), "--url", f"http://127.0.0.1:{closed_port()}")
    assert result.exit_code == UNREACHABLE
    assert "no worker at" in assert_one_line(result)
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"form4 {version('form4-stream')}"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1M", Decimal(1_000_000)),
        ("1m", Decimal(1_000_000)),
        ("250k", Decimal(250_000)),
        ("250K", Decimal(250_000)),
        ("1,000,000", Decimal(1_000_000)),
        ("1000000", Decimal(1_000_000)),
        ("$2.5M", Decimal(2_500_000)),
        ("1.25bn", Decimal(1_250_000_000)),
        ("0.5", Decimal("0.5")),
    ],
)
def test_amounts_are_read_as_people_write_them(text: str, amount: Decimal) -> None:
    assert parse_amount(text) == amount
    assert AMOUNT.convert(text, None, None) == amount


@pytest.mark.parametrize("text", ["", "-1M", "1X", "M", "1.2.3", "1e6", "abc"])
def test_other_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)
    with pytest.raises(click.BadParameter):
        AMOUNT.convert(text, None, None)


def test_min_value_forms_on_the_command_line() -> None:
    """A good --min-value gets as far as Kafka (exit 3 on a closed port); a bad one is a usage error."""
    where = f"127.0.0.1:{closed_port()}"
    for good in ("1M", "250k", "1,000,000"):
        result = run("alerts", "tail", "--min-value", good, "--bootstrap-server", where, "--timeout", "1")
        assert result.exit_code == UNREACHABLE, (good, result.output)
    bad = run("alerts", "tail", "--min-value", "lots", "--bootstrap-server", where)
    assert bad.exit_code == USAGE and "not an amount" in bad.output


def test_exit_codes_are_the_documented_scheme() -> None:
    assert (PARTLY_FAILED, USAGE, UNREACHABLE) == (1, 2, 3)
    assert run("export", "nothing", "-o", "x.csv").exit_code == USAGE
    assert run("export", "alerts", "-o", "x.unknown").exit_code == USAGE
    assert run("export", "alerts", "-o", "-", "--format", "parquet").exit_code == USAGE


@pytest.mark.parametrize(
    "command",
    [
        ("lag",),
        ("lag", "--json", "--group", "someone-else"),
        ("topics", "list"),
        ("topics", "create"),
        ("edgar", "follow", "--once"),
        ("edgar", "backfill", "--from", "2024-03-04", "--to", "2024-03-04"),
    ],
)
def test_every_kafka_command_takes_bootstrap_server_and_kafka_down_is_exit_3(
    command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The option wins over the environment (a host that does not resolve), and a closed port is exit 3."""
    monkeypatch.chdir(tmp_path)
    port = closed_port()
    env = {"FORM4_KAFKA_BOOTSTRAP": "nowhere.invalid:1", "FORM4_EDGAR_USER_AGENT": "Test ops@test.example"}
    result = run(*command, "--bootstrap-server", f"127.0.0.1:{port}", env=env)
    assert result.exit_code == UNREACHABLE, result.output
    line = assert_one_line(result)
    assert line.startswith(f"form4 {command[0]}") and "Kafka" in line and f"127.0.0.1:{port}" in line
    assert "nowhere.invalid" not in result.output


def test_push_takes_bootstrap_server_and_kafka_down_is_exit_3(tmp_path: Path) -> None:
    filing = tmp_path / "f.xml"
    filing.write_bytes(b"<ownershipDocument/>")
    result = run("push", str(filing), "--bootstrap-server", f"127.0.0.1:{closed_port()}")
    assert result.exit_code == UNREACHABLE, result.output
    assert "Traceback" not in result.output and "Kafka" in result.output


def test_the_workers_bootstrap_server_reaches_the_app_it_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`form4 worker --bootstrap-server` creates the topics on that broker and builds the app from it."""
    from streams.adapters import topics_admin
    from streams.worker import app

    monkeypatch.chdir(tmp_path)
    ensured: list[str] = []
    built: list[str] = []

    async def ensure_topics(settings: object, *args: object, **kwargs: object) -> list[str]:
        ensured.append(settings.kafka_bootstrap)  # type: ignore[attr-defined]
        return []

    class Built(Exception):
        """Stop once the app is built: running Faust is not what this test is about."""

    def create_app(settings: object) -> None:
        built.append(settings.kafka_bootstrap)  # type: ignore[attr-defined]
        raise Built

    monkeypatch.setattr(topics_admin, "ensure_topics", ensure_topics)
    monkeypatch.setattr(app, "create_app", create_app)
    result = run(
        "worker", "--bootstrap-server", "10.0.0.7:9094", env={"FORM4_KAFKA_BOOTSTRAP": "x.invalid:1"}
    )
    assert isinstance(result.exception, Built), result.output
    assert ensured == ["10.0.0.7:9094", "10.0.0.7:9094"]  # the form4 topics, then the changelogs
    assert built == ["10.0.0.7:9094"]


def test_the_worker_with_kafka_down_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("worker", "--bootstrap-server", f"127.0.0.1:{closed_port()}")
    assert result.exit_code == UNREACHABLE, result.output
    assert "cannot reach Kafka" in assert_one_line(result)


def test_lag_waits_for_the_broker_no_longer_than_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound is the setting (FORM4_KAFKA_PROBE_TIMEOUT_SECONDS) or --timeout, passed to every reading."""
    from streams.adapters import lag as lag_adapter

    timeouts: list[object] = []

    async def group_lag(*args: object, **kwargs: object) -> object:
        timeouts.append(kwargs["timeout"])
        raise lag_adapter.KafkaUnreachable("no broker answered at 127.0.0.1:1 within 1.5s")

    monkeypatch.setattr(lag_adapter, "group_lag", group_lag)
    result = run("lag", env={"FORM4_KAFKA_PROBE_TIMEOUT_SECONDS": "1.5"})
    assert result.exit_code == UNREACHABLE and "no broker answered" in assert_one_line(result)
    result = run("lag", "--group", "g", "--timeout", "0.5")
    assert result.exit_code == UNREACHABLE
    assert timeouts == [1.5, 0.5]  # each tried once: nobody there is not retried


def test_lag_of_a_group_or_topic_that_does_not_exist_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from streams.adapters import lag as lag_adapter

    async def group_lag(*args: object, **kwargs: object) -> object:
        assert kwargs["strict"] is True  # what the user named must exist
        raise lag_adapter.LagRequestError("no consumer group 'nobody' on Kafka at 127.0.0.1:9092")

    monkeypatch.setattr(lag_adapter, "group_lag", group_lag)
    result = run("lag", "--group", "nobody")
    assert result.exit_code == USAGE
    assert assert_one_line(result) == "form4 lag: no consumer group 'nobody' on Kafka at 127.0.0.1:9092"


def test_positions_without_a_worker_is_exit_3() -> None:
    result = run("positions", "--issuer", "QLYS", "--url", f"http://127.0.0.1:{closed_port()}")
    assert result.exit_code == UNREACHABLE, result.output
    assert "no worker at" in assert_one_line(result)
