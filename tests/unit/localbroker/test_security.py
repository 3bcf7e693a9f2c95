"""The secured local broker's configuration: SASL users, listeners and TLS lines (no JVM started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.localbroker.security import MECHANISMS, BrokerSecurity, BrokerTls
from streams.localbroker.support import render_server_properties


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def _tls(tmp_path: Path) -> BrokerTls:
    return BrokerTls(keystore=tmp_path / "broker.p12", password="store-pass", ca_file=tmp_path / "ca.pem")


def test_secured_broker_serves_sasl_and_keeps_a_loopback_plaintext_listener(tmp_path: Path) -> None:
    """SASL_PLAINTEXT on the bootstrap port, SASL_SSL on the TLS port, PLAINTEXT only for itself."""
    security = BrokerSecurity(users=(("alice", "pw-1"),), tls=_tls(tmp_path), tls_port=19094)
    props = _properties(
        render_server_properties(
            19092, 19093, tmp_path / "kraft", security.listener_properties(19092, 19095, 19093)
        )
    )
    assert props["listeners"] == (
        "SASL://127.0.0.1:19092,SASL_TLS://127.0.0.1:19094,INTERNAL://127.0.0.1:19095,"
        "CONTROLLER://127.0.0.1:19093"
    )
    assert props["advertised.listeners"] == (
        "SASL://127.0.0.1:19092,SASL_TLS://127.0.0.1:19094,INTERNAL://127.0.0.1:19095"
    )
    assert props["listener.security.protocol.map"] == (
        "SASL:SASL_PLAINTEXT,SASL_TLS:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"
    )
    assert props["inter.broker.listener.name"] == "INTERNAL"
    assert props["sasl.enabled.mechanisms"] == ",".join(MECHANISMS)
    for listener in ("sasl", "sasl_tls"):
        scram = props[f"listener.name.{listener}.scram-sha-256.sasl.jaas.config"]
        assert scram == "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        plain = props[f"listener.name.{listener}.plain.sasl.jaas.config"]
        assert plain.endswith('PlainLoginModule required user_alice="pw-1";')
    assert props["ssl.keystore.location"] == str(tmp_path / "broker.p12")
    assert props["ssl.keystore.type"] == "PKCS12"
    assert props["log.dirs"] == str(tmp_path / "kraft")  # the rest of the template is still there
    assert "PLAINTEXT://" not in props["listeners"]


def test_sasl_only_broker_has_no_tls_lines(tmp_path: Path) -> None:
    security = BrokerSecurity(users=(("alice", "pw-1"),))
    props = _properties(security.listener_properties(19092, 19095, 19093))
    assert props["listener.security.protocol.map"].startswith("SASL:SASL_PLAINTEXT,INTERNAL:PLAINTEXT")
    assert not any(key.startswith("ssl.") for key in props)


def test_scram_users_are_added_at_format_time_for_both_scram_mechanisms() -> None:
    security = BrokerSecurity(users=(("alice", "pw-1"), ("bob", "pw-2")))
    args = security.format_args()
    values = [args[i + 1] for i, arg in enumerate(args) if arg == "--add-scram"]
    assert values == [
        "SCRAM-SHA-256=[name=alice,password=pw-1]",
        "SCRAM-SHA-256=[name=bob,password=pw-2]",
        "SCRAM-SHA-512=[name=alice,password=pw-1]",
        "SCRAM-SHA-512=[name=bob,password=pw-2]",
    ]


@pytest.mark.parametrize(
    "users",
    [(), (("alice", 'pw"; evil'),), (("al ice", "pw"),), (("alice", "pw,password=x"),)],
    ids=["none", "quote", "space", "comma"],
)
def test_users_that_would_break_the_jaas_line_or_the_scram_syntax_are_refused(
    users: tuple[tuple[str, str], ...],
) -> None:
    with pytest.raises(ValueError, match="user"):
        BrokerSecurity(users=users)


def test_tls_needs_its_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tls_port"):
        BrokerSecurity(users=(("alice", "pw"),), tls=_tls(tmp_path))
