"""The one configuration object. Every command, the worker and the tests read it; nothing else
reads ``os.environ`` for configuration. Environment variables use the prefix ``FORM4_``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.config.subscribers import WebhookSubscriber


class Settings(BaseSettings):
    """form4-stream settings; each field is read from ``FORM4_<NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="FORM4_", frozen=True, extra="ignore")

    # --- Kafka and local state -------------------------------------------------------------
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated.")
    data_dir: Path = Field(
        Path(".form4"), description="Local state: broker data, pid and log files, worker table stores."
    )
    kafka_version: str = Field("4.4.0", description="Apache Kafka version of the local jar broker.")
    kafka_libs_dir: Path | None = Field(
        None, description="Broker jars; default ~/.cache/form4-stream/kafka-<version>/libs."
    )
    kafka_heap: str = Field("-Xms256m -Xmx768m", description="JVM heap flags of the local broker.")
    app_id: str = Field("form4-stream", description="Faust app id = Kafka consumer group of the worker.")
    web_host: str = Field("127.0.0.1", description="Bind address of the worker's web server.")
    web_port: int = Field(6066, description="Port of the worker's web server (positions, metrics, health).")
    store: Literal["compact://", "memory://", "rocksdb://"] = Field(
        "memory://",
        description="Table store: compact (in memory as changelog bytes, decoded per read: several times "
        "smaller), memory (in memory as objects); both rebuilt from the changelogs at start; or rocksdb "
        "(RocksDB on disk in FORM4_DATA_DIR, via rocksdict; for state that outgrows memory).",
    )
    rocksdb_memory_mb: int = Field(
        16,
        ge=8,
        description="With FORM4_STORE=rocksdb://: RocksDB's memory for all tables, one block cache shared "
        "by every table partition, memtables (at most half) charged to it.",
    )
    session_timeout_seconds: float = Field(
        30.0, ge=6.0, description="Kafka group session timeout: how soon a dead worker's partitions move."
    )
    log_format: Literal["text", "json"] = Field("text", description="Worker log lines: text or JSON lines.")
    log_level: str = Field("info", description="Worker log level.")

    # --- Kafka security (TLS and SASL) -------------------------------------------------------
    # Honoured by every Kafka client: the worker, push, lag, alerts tail, topics, the EDGAR sink.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="Kafka security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="SASL mechanism (required with SASL_*): PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name (required with SASL_*).")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password (required with SASL_*).")
    kafka_ssl_cafile: FilePath | None = Field(
        None, description="PEM file of the CAs that sign the brokers' certificates (default: system CAs)."
    )
    kafka_ssl_certfile: FilePath | None = Field(
        None, description="PEM client certificate, for brokers that require mutual TLS."
    )
    kafka_ssl_keyfile: FilePath | None = Field(
        None, description="PEM private key of FORM4_KAFKA_SSL_CERTFILE (default: inside the certfile)."
    )
    kafka_ssl_key_password: SecretStr | None = Field(None, description="Password of an encrypted key file.")
    kafka_ssl_check_hostname: bool = Field(
        True, description="Check that a broker's certificate names the host connected to."
    )

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        # "sasl_ssl" and "scram-sha-256" are how people write them in env files
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Settings:
        # Refused at start with the variable to fix, rather than as an opaque handshake failure later.
        protocol = self.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        if sasl:
            missing = [
                f"FORM4_KAFKA_{name.upper()}"
                for name in ("sasl_mechanism", "sasl_username", "sasl_password")
                if getattr(self, f"kafka_{name}") is None
            ]
            if missing:
                raise ValueError(f"FORM4_KAFKA_SECURITY_PROTOCOL={protocol} needs {', '.join(missing)}")
        elif self.kafka_sasl_mechanism or self.kafka_sasl_username or self.kafka_sasl_password:
            raise ValueError(
                f"FORM4_KAFKA_SASL_* is set but FORM4_KAFKA_SECURITY_PROTOCOL={protocol} uses no SASL "
                "(use SASL_PLAINTEXT or SASL_SSL)"
            )
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if not protocol.endswith("SSL") and any(f is not None for f in tls_files):
            raise ValueError(
                f"FORM4_KAFKA_SSL_* files are set but FORM4_KAFKA_SECURITY_PROTOCOL={protocol} uses no TLS "
                "(use SSL or SASL_SSL)"
            )
        if self.kafka_ssl_keyfile is not None and self.kafka_ssl_certfile is None:
            raise ValueError("FORM4_KAFKA_SSL_KEYFILE needs FORM4_KAFKA_SSL_CERTFILE")
        return self

    # --- topics ----------------------------------------------------------------------------
    topic_raw: str = Field("form4.filings.raw", description="Raw filings in (key: accession number).")
    topic_parsed: str = Field(
        "form4.filings.parsed", description="Internal: one parsed filing per message (key: issuer)."
    )
    topic_backfill: str = Field(
        "form4.filings.backfill",
        description="Raw filings of a backfill (`push --backfill`, `edgar backfill`; key: accession number): "
        "read only while the live lane has no lag, so live filings overtake a backfill.",
    )
    topic_parsed_backfill: str = Field(
        "form4.filings.parsed.backfill",
        description="Internal: parsed filings of the backfill lane (key: issuer).",
    )
    topic_transactions: str = Field(
        "form4.transactions", description="form4.transaction/1 events (key: issuer CIK)."
    )
    topic_alerts: str = Field(
        "form4.alerts",
        description="form4.alert/1 records (key: the alert id; a retraction, the id it retracts).",
    )
    topic_dlq: str = Field("form4.dlq", description="form4.dead_letter/1 records for unparseable filings.")
    topic_webhook_dlq: str = Field(
        "form4.webhooks.dlq", description="Alerts a webhook subscriber never accepted (after the last retry)."
    )
    topic_partitions: int = Field(
        4, ge=1, description="Partitions of the form4 topics (and table changelogs)."
    )
    topic_replication: int = Field(1, ge=1, description="Replication factor of the form4 topics.")

    # --- throughput (issue 12) ---------------------------------------------------------------
    batch_max_records: int = Field(
        250,
        ge=1,
        description="Records an agent takes at most per batch: one acknowledgement wait and one state "
        "write per key per batch (a crash redelivers a batch, never loses one).",
    )
    batch_wait_seconds: float = Field(
        0.05,
        gt=0,
        description="How long an agent waits to fill a batch before it processes what it has (the "
        "latency a lone live filing pays per stage).",
    )
    stall_seconds: float = Field(
        180.0,
        gt=0,
        description="A worker whose partitions have records to read but which handled none for this long "
        "exits (code 75) for its supervisor to restart it (Faust can stop fetching while it looks ready).",
    )
    stop_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="A worker told to stop (SIGTERM, SIGINT) that has not stopped after this long exits "
        "anyway (code 75): with Kafka gone, Faust's shutdown can wait for it forever. Nothing is lost: "
        "what was not committed is read again at the next start.",
    )
    producer_linger_ms: float = Field(
        50.0,
        ge=0,
        description="Worker producer linger: records of one batch share Kafka requests. An agent's batch "
        "is sent as soon as it is made, and so is a filing posted to /filings; dead letters may wait this "
        "long.",
    )
    commit_interval_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the worker commits the offsets of the records it has finished: what a "
        "restart reads again at most, and how long `form4 lag` may show handled records as lag.",
    )
    gc_freeze: bool = Field(
        True,
        description="After each full garbage collection, freeze the objects that survived it (gc.freeze): "
        "the tables' long-lived state is not walked again at every later one (seconds of event-loop "
        "pause with millions of objects). Pauses are in form4_gc_pause_seconds either way.",
    )
    memory_trim_seconds: float = Field(
        10.0,
        ge=0,
        description="How often the worker hands memory freed by its batches back to the system "
        "(glibc malloc_trim); 0: never (its RSS then stays at its largest batch's high-water mark).",
    )

    # --- lanes (issue 12: live filings overtake a backfill) -------------------------------------
    lanes_check_seconds: float = Field(
        0.05,
        gt=0,
        le=5,
        description="How often the worker checks the live topics for lag (records not processed yet): "
        "while there is some, the backfill topics are paused and the backfill records already read are "
        "set aside, to be read again.",
    )
    lanes_stream_buffer: int = Field(
        100,
        ge=1,
        description="Records an agent holds in its stream buffer, read but not taken yet (a live filing "
        "passes the backfill ones: they are set aside, and read again later).",
    )
    lanes_fetch_records: int = Field(
        50,
        ge=1,
        description="Records the worker's consumer hands on per fetch (Faust `broker_max_poll_records`).",
    )

    # --- parsing ---------------------------------------------------------------------------
    max_filing_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Larger filings are dead-lettered.")
    corpus: Path = Field(Path("../shared/filings"), description="Real EDGAR filings for tests and the demo.")

    # --- alert rules -----------------------------------------------------------------------
    large_sale_usd: Decimal = Field(Decimal(1_000_000), description="large_sale: open-market sale value.")
    fraction_sold: Decimal = Field(Decimal("0.25"), description="large_fraction_sold: share of holding.")
    fraction_sold_min_usd: Decimal = Field(
        Decimal(100_000), description="large_fraction_sold: minimum value."
    )
    liquidation_min_usd: Decimal = Field(Decimal(100_000), description="liquidation: minimum holding value.")
    cluster_min_insiders: int = Field(3, ge=2, description="cluster_selling: distinct sellers.")
    cluster_min_usd: Decimal = Field(Decimal(100_000), description="cluster_selling: minimum per seller.")
    cluster_window_days: int = Field(14, ge=1, description="cluster_selling: window on transaction date.")

    # --- issue 11: purchases, repeat sellers, late filings, routine traders ----------------------
    large_purchase_usd: Decimal = Field(
        Decimal(250_000), description="large_purchase: open-market purchase value in one filing group."
    )
    cluster_buy_min_insiders: int = Field(3, ge=2, description="cluster_buying: distinct buyers.")
    cluster_buy_min_usd: Decimal = Field(Decimal(100_000), description="cluster_buying: minimum per buyer.")
    cluster_buy_window_days: int = Field(14, ge=1, description="cluster_buying: window on transaction date.")
    first_purchase_lookback_days: int = Field(
        730, ge=1, description="first_purchase: no open-market buy by the insider in this many days before."
    )
    repeat_sale_window_days: int = Field(
        30, ge=1, description="large_sale across filings: one insider's sales summed over this many days."
    )
    late_filing_business_days: int = Field(
        5, ge=0, description="late_filing: business days past the deadline before an alert."
    )
    stale_trade_days: int = Field(
        30, ge=0, description="Alerts on trades filed more than this many days after them are stale."
    )
    routine_years: int = Field(
        3, ge=1, description="Routine trader: traded in the same calendar month in each of this many years."
    )

    # --- issue 9: reconciliation of reported holdings -----------------------------------------
    reconcile_tolerance_shares: Decimal = Field(
        Decimal(1), gt=0, description="Reconciliation: differences under this many shares are rounding."
    )
    coverage_gap_days: int = Field(
        180, ge=1, description="Reconciliation: a difference across more days with no filing is a gap."
    )

    # --- producers and consumers -----------------------------------------------------------
    http_token: SecretStr | None = Field(None, description="Bearer token required by POST /filings, if set.")
    edgar_user_agent: str | None = Field(
        None, description='Declared User-Agent for EDGAR, e.g. "Acme Research ops@acme.example".'
    )
    edgar_base_url: str = Field(
        "https://www.sec.gov",
        description="EDGAR base URL (feed, daily indexes, archives); tests point it locally.",
    )
    edgar_max_rps: float = Field(
        10.0, gt=0, le=10, description="Most EDGAR requests per second (SEC's fair-access limit is 10)."
    )
    edgar_poll_seconds: float = Field(
        60.0, gt=0, description="`form4 edgar follow`: seconds between feed polls."
    )
    edgar_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one EDGAR HTTP request.")
    edgar_max_attempts: int = Field(
        5, ge=1, description="Attempts per EDGAR request (429, 5xx and timeouts are retried)."
    )
    edgar_backoff_seconds: float = Field(
        1.0,
        ge=0,
        description="First retry delay; doubles per attempt (plus jitter); Retry-After sets the wait.",
    )

    # --- webhooks and monitoring ----------------------------------------------------------
    webhooks: tuple[WebhookSubscriber, ...] = Field(
        (),
        description='Alert webhooks, JSON: [{"url": "https://...", "secret": "...", "ticker": "AAPL", '
        '"issuer": "320193", "rule": "large_sale", "min_severity": "high", "min_value": 1000000}].',
    )
    webhook_max_attempts: int = Field(6, ge=1, description="Delivery attempts per alert and subscriber.")
    webhook_backoff_seconds: float = Field(
        0.5, ge=0, description="First retry delay; doubles after each failed attempt."
    )
    webhook_backoff_cap_seconds: float = Field(30.0, ge=0, description="Longest delay between two attempts.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one webhook POST.")

    # --- webhooks per subscriber (issue 13) -------------------------------------------------
    webhook_concurrency: int = Field(
        4,
        ge=1,
        description="Alerts in delivery at once per webhook subscriber (never two of one issuer: "
        "an alert and its retraction arrive in order).",
    )
    webhook_start: Literal["earliest", "latest"] = Field(
        "earliest",
        description="Where a subscriber with no committed position (a new one) starts reading "
        "FORM4_TOPIC_ALERTS: every alert still on the topic, or only alerts raised from then on.",
    )

    @field_validator("webhooks")
    @classmethod
    def _distinct_labels(cls, value: tuple[WebhookSubscriber, ...]) -> tuple[WebhookSubscriber, ...]:
        # Each subscriber's label names its consumer group (its committed position) and its metrics.
        labels = [s.label for s in value]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(
                f"webhook subscribers share a label ({', '.join(twice)}): give each a distinct name"
            )
        return value

    # --- health, web page and ops kit (issue 14) ------------------------------------------
    # The lag gauge is read from the broker when /metrics is scraped (no refresh interval any more).
    kafka_send_timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="POST /filings answers 503 when Kafka has not acknowledged a filing within this.",
    )
    kafka_probe_timeout_seconds: float = Field(
        3.0,
        gt=0,
        description="How long /ready, /metrics and the web page wait for the broker (reachability, lag) "
        "before reporting it unreachable.",
    )
    page_alerts: int = Field(
        1000,
        ge=1,
        description="Most recent alerts each worker keeps in memory for its web page (read from the tail "
        "of the alerts topic, all partitions).",
    )
    edgar_metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="`form4 edgar follow|backfill`: serve Prometheus metrics on this port (bound to "
        "FORM4_WEB_HOST); unset: none.",
    )

    # --- issue 13: poison pills, log floods, read token ----------------------------------------
    max_record_attempts: int = Field(
        3,
        ge=1,
        description="Times one record may fail in an agent (parse, positions, webhooks) before it goes to "
        "the dead-letter topic with reason processing_error and the partition moves on. Broker and "
        "disk errors are not counted: they stop the worker, unacknowledged.",
    )
    log_repeat_seconds: float = Field(
        10.0,
        ge=0,
        description="A repeated Kafka client warning (broker unreachable, reconnecting) is logged once per "
        "this many seconds per logger and message, with how many were held back; 0 logs every one.",
    )
    http_token_reads: bool = Field(
        False,
        description="With FORM4_HTTP_TOKEN set, GET requests for data (/positions, /stats, the web page "
        "and its API) need the bearer token too; /health, /ready and /metrics stay open.",
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_has_port(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"bootstrap server {server!r} is not host:port")
        return value

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap.split(",")]

    @property
    def broker_url(self) -> str:
        """Faust's broker URL form of ``kafka_bootstrap``."""
        return ";".join(f"kafka://{s}" for s in self.bootstrap_servers)

    @property
    def source_topics(self) -> tuple[str, ...]:
        """What the worker's consumer group reads: raw and parsed filings, live and backfill lanes."""
        return (self.topic_raw, self.topic_backfill, self.topic_parsed, self.topic_parsed_backfill)

    @property
    def all_topics(self) -> tuple[str, ...]:
        return (
            self.topic_raw,
            self.topic_parsed,
            self.topic_backfill,
            self.topic_parsed_backfill,
            self.topic_transactions,
            self.topic_alerts,
            self.topic_dlq,
            self.topic_webhook_dlq,
        )

    @property
    def max_message_bytes(self) -> int:
        """Largest Kafka message on the form4 topics, the one limit every producer and topic uses.

        A filing at the size cap grows by a third as base64 inside a dead letter, plus headroom for the
        record's other fields and Kafka's batch overhead.
        """
        return self.max_filing_bytes * 4 // 3 + 1024 * 1024

    @property
    def libs_dir(self) -> Path:
        if self.kafka_libs_dir is not None:
            return self.kafka_libs_dir
        return Path.home() / ".cache" / "form4-stream" / f"kafka-{self.kafka_version}" / "libs"

    def to_env(self) -> dict[str, str]:
        """Every field as the ``FORM4_<NAME>`` variable that ``Settings()`` reads back equal.

        For a subprocess (a worker, a command) that must run with exactly these settings: scalars as
        text (``Decimal`` and ``Path`` by ``str``, booleans as ``true``/``false``), anything else as JSON
        (what pydantic-settings expects of complex fields). Secrets are revealed, since the child needs
        them: never log the result. ``None`` is left out, as the default of every optional field.
        """
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool):  # before int: bool is an int
                text = orjson.dumps(value).decode()
            elif isinstance(value, str | int | float | Decimal | Path):
                text = str(value)
            elif isinstance(value, SecretStr):
                text = value.get_secret_value()
            else:
                text = orjson.dumps(value, default=_env_json).decode()
            env[f"FORM4_{name.upper()}"] = text
        return env


def _env_json(value: object) -> object:
    """JSON form of what orjson cannot write itself (inside complex fields); secrets revealed."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} into a FORM4_* variable: {value!r}")


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


__all__ = ["Settings", "get_settings"]
