"""TLS and SASL for every Kafka client outside Faust, and one clear line when Kafka refuses us.

Every ``AIOKafkaProducer``/``AIOKafkaConsumer``/``AIOKafkaAdminClient`` in ``streams`` is built with
``**client_kwargs(settings)``; the worker hands the same ``ssl_context`` and SASL settings to Faust
(``streams.worker.app``). Started with :func:`start_checked`, a client that Kafka refuses (bad
credentials, unknown mechanism, untrusted certificate, plaintext client on a secured listener) fails
with :class:`KafkaAccessError` at once instead of aiokafka's "Unable to bootstrap", retried for
nothing.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any, Protocol

from aiokafka.conn import create_conn
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest

from streams.config.settings import Settings

#: Exit status of a command that cannot reach a dependency or is refused by it (EX_UNAVAILABLE is 69;
#: 3 matches ``form4 broker status`` for "no broker").
EXIT_UNAVAILABLE = 3

# aiokafka logs every refused connection; in a command with no logging set up, Python's last-resort
# handler would print those next to our one line. Where logging is configured (the worker) they
# still reach its handlers.
logging.getLogger("aiokafka").addHandler(logging.NullHandler())

_SASL_ERRORS = (SaslAuthenticationFailed, UnsupportedSaslMechanismError, IllegalSaslStateError)


class KafkaAccessError(KafkaError):  # type: ignore[misc]  # aiokafka.errors is untyped
    """Kafka answered but refused this client: credentials, mechanism, TLS or security protocol.

    A KafkaError so existing ``except KafkaError`` handlers still print it as one line, and not
    retriable: trying again with the same settings cannot succeed.
    """

    retriable = False
    exit_code = EXIT_UNAVAILABLE

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Kafka refused this client"  # no class-name prefix


class _Startable(Protocol):
    async def start(self) -> None: ...


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The client TLS context of ``settings`` (``None`` for PLAINTEXT and SASL_PLAINTEXT)."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile is not None:
        password = settings.kafka_ssl_key_password
        context.load_cert_chain(
            settings.kafka_ssl_certfile,
            settings.kafka_ssl_keyfile,
            password.get_secret_value() if password else None,
        )
    return context


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client: bootstrap servers, security protocol, TLS, SASL."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        # aiokafka names them "plain" but uses them for SCRAM too.
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        kwargs["sasl_plain_password"] = password.get_secret_value() if password else None
    return kwargs


def _who(settings: Settings) -> str:
    if settings.kafka_security_protocol.startswith("SASL_"):
        return f"user {settings.kafka_sasl_username!r} ({settings.kafka_sasl_mechanism})"
    return settings.kafka_security_protocol


async def diagnose(settings: Settings, timeout: float = 10.0) -> KafkaAccessError | None:
    """Connect once to each bootstrap server as our clients do; why Kafka refused us, if it did.

    ``None`` means no server refused us: they are unreachable (or the failure lies elsewhere), and
    the caller's own error stands.
    """
    kwargs = client_kwargs(settings)
    servers = kwargs.pop("bootstrap_servers")
    at = settings.kafka_bootstrap
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(host, int(port), request_timeout_ms=int(timeout * 1000), **kwargs), timeout
            )
        except _SASL_ERRORS as exc:
            # The broker's own words ("... invalid credentials with SASL mechanism SCRAM-SHA-256").
            said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else exc.description
            detail = " ".join(str(said).split())
            return KafkaAccessError(
                f"Kafka at {at} refused {_who(settings)}: authentication failed: {detail}"
            )
        except ssl.SSLError as exc:
            reason = exc.reason or exc.strerror or str(exc)
            if isinstance(exc, ssl.SSLCertVerificationError):  # say which check, not just that one failed
                reason = f"certificate verify failed: {exc.verify_message}"
            return KafkaAccessError(
                f"TLS handshake with Kafka at {server} failed: {reason} "
                "(check FORM4_KAFKA_SSL_CAFILE and FORM4_KAFKA_SECURITY_PROTOCOL)"
            )
        except KafkaConnectionError:
            # TCP connected, the Kafka conversation did not: most often a plaintext client on a
            # TLS listener.
            return KafkaAccessError(_mismatch(settings, server))
        except (OSError, TimeoutError):
            continue  # nothing listening there: unreachable, not refused
        try:
            await conn.send(MetadataRequest([]))
        except KafkaError:
            # Authenticated as configured, then dropped: a PLAINTEXT/SSL client on a SASL listener.
            return KafkaAccessError(_mismatch(settings, server))
        finally:
            conn.close()
        return None
    return None


def _mismatch(settings: Settings, server: str) -> str:
    return (
        f"Kafka at {server} closed the connection of a {settings.kafka_security_protocol} client: "
        "is FORM4_KAFKA_SECURITY_PROTOCOL the listener's protocol?"
    )


async def start_checked(client: _Startable, settings: Settings) -> None:
    """``await client.start()``; when Kafka refused us, raise :class:`KafkaAccessError` saying why.

    aiokafka reports a refused login like an unreachable broker ("Unable to bootstrap"); one extra
    connection, made only after a failure, tells the two apart.
    """
    try:
        await client.start()
    except KafkaConnectionError as exc:
        refused = await diagnose(settings)
        if refused is not None:
            raise refused from exc
        raise


__all__ = [
    "EXIT_UNAVAILABLE",
    "KafkaAccessError",
    "client_kwargs",
    "diagnose",
    "ssl_context",
    "start_checked",
]
