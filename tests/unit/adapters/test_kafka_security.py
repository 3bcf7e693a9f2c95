"""Kafka security settings: their validation, the aiokafka keyword arguments and Faust's credentials."""

from __future__ import annotations

import inspect
import ssl
from pathlib import Path
from typing import Any

import certifi
import faust
import pytest
from aiokafka.errors import KafkaConnectionError
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr, ValidationError

from streams.adapters.kafka_security import (
    KafkaAccessError,
    client_kwargs,
    diagnose,
    ssl_context,
    start_checked,
)
from streams.adapters.lag import is_retryable_lag_error
from streams.adapters.topics_admin import is_retryable_broker_error
from streams.config.settings import Settings
from streams.localbroker.support import free_port
from streams.worker.app import broker_credentials

CA = Path(certifi.where())  # any real PEM bundle will do: these tests never complete a handshake


def _sasl(**extra: Any) -> Settings:
    fields: dict[str, Any] = {
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_mechanism": "SCRAM-SHA-256",
        "kafka_sasl_username": "alice",
        "kafka_sasl_password": "alice-secret",
    }
    return Settings(**{**fields, **extra})


# --- settings validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        ("kafka_sasl_mechanism", "FORM4_KAFKA_SASL_MECHANISM"),
        ("kafka_sasl_username", "FORM4_KAFKA_SASL_USERNAME"),
        ("kafka_sasl_password", "FORM4_KAFKA_SASL_PASSWORD"),
    ],
)
def test_sasl_protocol_needs_mechanism_user_and_password(dropped: str, named: str) -> None:
    """Each missing SASL setting is named, so the user knows which variable to set."""
    with pytest.raises(ValidationError, match=named):
        _sasl(**{dropped: None})


def test_sasl_settings_without_a_sasl_protocol_are_refused() -> None:
    """A mechanism with PLAINTEXT is a forgotten protocol, not something to ignore silently."""
    with pytest.raises(ValidationError, match="uses no SASL"):
        Settings(kafka_sasl_mechanism="PLAIN", kafka_sasl_username="a", kafka_sasl_password=SecretStr("b"))


def test_ca_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="kafka_ssl_cafile"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "missing.pem")


def test_tls_files_without_a_tls_protocol_are_refused() -> None:
    with pytest.raises(ValidationError, match="uses no TLS"):
        _sasl(kafka_ssl_cafile=CA)


def test_key_file_needs_a_certificate_file() -> None:
    with pytest.raises(ValidationError, match="FORM4_KAFKA_SSL_KEYFILE needs"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_keyfile=CA)


def test_unknown_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError, match="kafka_sasl_mechanism"):
        _sasl(kafka_sasl_mechanism="GSSAPI")


def test_protocol_and_mechanism_are_read_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORM4_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("FORM4_KAFKA_SASL_MECHANISM", "scram-sha-512")
    monkeypatch.setenv("FORM4_KAFKA_SASL_USERNAME", "alice")
    monkeypatch.setenv("FORM4_KAFKA_SASL_PASSWORD", "s3cret")
    settings = Settings()
    assert (settings.kafka_security_protocol, settings.kafka_sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")


def test_password_is_never_shown() -> None:
    settings = _sasl()
    assert "alice-secret" not in repr(settings)
    assert "alice-secret" not in str(settings.model_dump())


# --- aiokafka keyword arguments ------------------------------------------------------------------


def test_plaintext_clients_get_no_tls_and_no_sasl() -> None:
    assert client_kwargs(Settings(kafka_bootstrap="127.0.0.1:1,127.0.0.1:2")) == {
        "bootstrap_servers": ["127.0.0.1:1", "127.0.0.1:2"],
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_plaintext_clients_get_the_login_and_no_tls() -> None:
    kwargs = client_kwargs(_sasl())
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("alice", "alice-secret")
    assert "ssl_context" not in kwargs


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
def test_tls_clients_verify_the_broker_against_the_ca_file(protocol: str) -> None:
    login = _sasl().model_dump() if protocol == "SASL_SSL" else {}
    settings = Settings(**{**login, "kafka_security_protocol": protocol, "kafka_ssl_cafile": CA})
    context = client_kwargs(settings)["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs()  # the CA file was loaded


def test_hostname_check_can_be_turned_off() -> None:
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_check_hostname=False)
    context = ssl_context(settings)
    assert context is not None
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED  # the chain is still verified


def test_every_aiokafka_client_accepts_the_arguments() -> None:
    """The keys are real constructor parameters of the producer, consumer and admin client."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient

    kwargs = client_kwargs(_sasl(kafka_security_protocol="SASL_SSL", kafka_ssl_cafile=CA))
    for client in (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient):
        assert set(kwargs) <= set(inspect.signature(client).parameters), client


# --- Faust gets the same security as every other client ------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=CA),
        _sasl(),
        _sasl(kafka_sasl_mechanism="PLAIN"),
        _sasl(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512", kafka_ssl_cafile=CA),
    ],
    ids=["plaintext", "ssl", "sasl-plaintext-scram256", "sasl-plaintext-plain", "sasl-ssl-scram512"],
)
def test_faust_credentials_give_aiokafka_what_our_clients_get(settings: Settings) -> None:
    """What Faust hands aiokafka (its own credentials_to_aiokafka_auth) equals client_kwargs."""
    faust_auth = dict(credentials_to_aiokafka_auth(broker_credentials(settings)))
    ours = client_kwargs(settings)
    ours.pop("bootstrap_servers")
    assert faust_auth.pop("security_protocol") == ours.pop("security_protocol")
    assert isinstance(faust_auth.pop("ssl_context", None), ssl.SSLContext) == ("ssl_context" in ours)
    ours.pop("ssl_context", None)
    assert {k: v for k, v in faust_auth.items() if v is not None} == ours


def test_faust_app_is_built_with_the_credentials() -> None:
    from streams.worker.app import faust_app

    app = faust_app(_sasl(kafka_security_protocol="SASL_SSL", kafka_ssl_cafile=CA))
    credentials = app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.protocol.value) == ("alice", "SASL_SSL")


# --- refusals are told apart from an unreachable broker ------------------------------------------


def test_access_errors_are_final_for_every_retry_loop() -> None:
    refused = KafkaAccessError("Kafka at x refused user 'alice'")
    assert not is_retryable_broker_error(refused)
    assert not is_retryable_lag_error(refused)
    assert str(refused) == "Kafka at x refused user 'alice'"  # no class-name prefix in the one line
    assert refused.exit_code == 3


async def test_nothing_listening_is_unreachable_not_refused() -> None:
    """With no broker at all, diagnose blames nobody and the client's own error stands."""
    settings = _sasl(kafka_bootstrap=f"127.0.0.1:{free_port()}")
    assert await diagnose(settings, timeout=2) is None

    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=2000)
    try:
        with pytest.raises(KafkaConnectionError):
            await start_checked(admin, settings)
    finally:
        await admin.close()
