"""Secured listeners for the local broker: SASL users (SCRAM and PLAIN) and TLS from the JDK's keytool.

A secured :class:`~streams.localbroker.broker.LocalBroker` serves SASL_PLAINTEXT on its bootstrap port
and, with :class:`BrokerTls`, SASL_SSL on ``tls_port``. It keeps a PLAINTEXT listener on another
loopback port for its own inter-broker traffic and for the launcher's readiness probe (a raw
Metadata request, which a SASL listener would refuse before authentication).

:func:`make_test_pki` writes a throwaway CA and a broker keystore signed by it, with keytool only
(no openssl or Python crypto package needed): clients trust ``ca.pem``.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from streams.localbroker.support import BrokerError, find_java

#: Mechanisms every secured local broker enables; SCRAM users are added to the metadata log when
#: the storage is formatted, PLAIN users are listed in the listener's JAAS line.
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")

# Names and passwords end up inside `[name=..,password=..]` and a JAAS line: keep them unambiguous.
_SAFE = re.compile(r"[A-Za-z0-9._@+-]{1,128}")


@dataclass(frozen=True)
class BrokerTls:
    """A PKCS12 keystore holding the broker's key and certificate, and the CA clients should trust."""

    keystore: Path
    password: str
    ca_file: Path


@dataclass(frozen=True)
class BrokerSecurity:
    """Secured client listeners of a local broker.

    ``users`` are (name, password) pairs known to every mechanism in :data:`MECHANISMS`. With ``tls``
    the broker also serves SASL_SSL on ``tls_port``.
    """

    users: tuple[tuple[str, str], ...]
    tls: BrokerTls | None = None
    tls_port: int | None = None

    def __post_init__(self) -> None:
        if not self.users:
            raise ValueError("a secured broker needs at least one SASL user")
        for name, password in self.users:
            if not (_SAFE.fullmatch(name) and _SAFE.fullmatch(password)):
                raise ValueError(f"SASL user {name!r}: names and passwords must match {_SAFE.pattern}")
        if (self.tls is None) != (self.tls_port is None):
            raise ValueError("tls and tls_port go together")

    def format_args(self) -> list[str]:
        """``kafka-storage format`` arguments that add the SCRAM credentials to the metadata log."""
        args: list[str] = []
        for mechanism in MECHANISMS:
            if mechanism.startswith("SCRAM-"):
                for name, password in self.users:
                    args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        return args

    def listener_properties(self, broker_port: int, internal_port: int, controller_port: int) -> str:
        """The listener lines of server.properties (replacing the PLAINTEXT-only ones)."""
        secured = [("SASL", "SASL_PLAINTEXT", broker_port)]
        if self.tls_port is not None:
            secured.append(("SASL_TLS", "SASL_SSL", self.tls_port))
        listeners = [f"{name}://127.0.0.1:{port}" for name, _, port in secured]
        listeners.append(f"INTERNAL://127.0.0.1:{internal_port}")
        protocol_map = [f"{name}:{protocol}" for name, protocol, _ in secured]
        protocol_map += ["INTERNAL:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.users)
        lines = [
            f"listeners={','.join(listeners)},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners={','.join(listeners)}",
            "inter.broker.listener.name=INTERNAL",
            "controller.listener.names=CONTROLLER",
            f"listener.security.protocol.map={','.join(protocol_map)}",
            f"sasl.enabled.mechanisms={','.join(MECHANISMS)}",
        ]
        for name, _, _ in secured:
            prefix = f"listener.name.{name.lower()}"
            for mechanism in MECHANISMS:
                module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
                users = f" {plain_users}" if mechanism == "PLAIN" else ""
                lines.append(
                    f"{prefix}.{mechanism.lower()}.sasl.jaas.config="
                    f"org.apache.kafka.common.security.{module} required{users};"
                )
        if self.tls is not None:
            lines += [
                f"ssl.keystore.location={self.tls.keystore}",
                "ssl.keystore.type=PKCS12",
                f"ssl.keystore.password={self.tls.password}",
                f"ssl.key.password={self.tls.password}",
            ]
        return "\n".join(lines) + "\n"


def _keytool(java: str, *args: str) -> None:
    keytool = str(Path(java).with_name("keytool"))
    done = subprocess.run([keytool, *args], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise BrokerError(f"keytool {args[0]} failed", (done.stdout + done.stderr)[-2000:])


def make_test_pki(directory: Path, days: int = 2) -> BrokerTls:
    """A self-signed CA and a broker keystore for 127.0.0.1/localhost signed by it, in ``directory``.

    For tests and local experiments only: the CA's key stays next to it, unprotected but for a
    random password.
    """
    java = find_java()
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    ca_store, ca_pem = directory / "ca.p12", directory / "ca.pem"
    broker_store = directory / "broker.p12"
    csr, cert = directory / "broker.csr", directory / "broker.pem"
    san = "SAN=ip:127.0.0.1,dns:localhost"
    store = ["-storetype", "PKCS12", "-storepass", password, "-keypass", password]
    key = ["-keyalg", "RSA", "-keysize", "2048", "-validity", str(days)]
    _keytool(java, "-genkeypair", "-alias", "ca", "-keystore", str(ca_store), *store, *key,
             "-dname", "CN=form4-stream test CA", "-ext", "bc:c",
             "-ext", "ku:c=keyCertSign,cRLSign")  # fmt: skip
    _keytool(java, "-exportcert", "-rfc", "-alias", "ca", "-keystore", str(ca_store), *store[:4],
             "-file", str(ca_pem))  # fmt: skip
    _keytool(java, "-genkeypair", "-alias", "broker", "-keystore", str(broker_store), *store, *key,
             "-dname", "CN=localhost", "-ext", san)  # fmt: skip
    _keytool(java, "-certreq", "-alias", "broker", "-keystore", str(broker_store), *store[:4],
             "-file", str(csr))  # fmt: skip
    _keytool(java, "-gencert", "-rfc", "-alias", "ca", "-keystore", str(ca_store), *store[:4],
             "-infile", str(csr), "-outfile", str(cert), "-validity", str(days), "-ext", san,
             "-ext", "ku:c=digitalSignature,keyEncipherment", "-ext", "eku=serverAuth")  # fmt: skip
    # The chain goes in CA first, so keytool can link the signed certificate to the broker's key.
    _keytool(java, "-importcert", "-noprompt", "-alias", "ca", "-keystore", str(broker_store),
             *store[:4], "-file", str(ca_pem))  # fmt: skip
    _keytool(java, "-importcert", "-alias", "broker", "-keystore", str(broker_store), *store[:4],
             "-file", str(cert))  # fmt: skip
    return BrokerTls(keystore=broker_store, password=password, ca_file=ca_pem)


__all__ = ["MECHANISMS", "BrokerSecurity", "BrokerTls", "make_test_pki"]
