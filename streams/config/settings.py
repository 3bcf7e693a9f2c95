"""The one configuration object. Every command, the worker and the tests read it; nothing else
reads ``os.environ`` for configuration. Environment variables use the prefix ``FORM4_``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
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
    store: Literal["memory://", "rocksdb://"] = Field(
        "memory://",
        description="Table store: memory (rebuilt from changelogs at start) or rocksdb (RocksDB on disk in "
        "FORM4_DATA_DIR, via rocksdict; for backfills whose state outgrows memory).",
    )
    session_timeout_seconds: float = Field(
        30.0, ge=6.0, description="Kafka group session timeout: how soon a dead worker's partitions move."
    )
    log_format: Literal["text", "json"] = Field("text", description="Worker log lines: text or JSON lines.")
    log_level: str = Field("info", description="Worker log level.")

    # --- topics ----------------------------------------------------------------------------
    topic_raw: str = Field("form4.filings.raw", description="Raw filings in (key: accession number).")
    topic_parsed: str = Field(
        "form4.filings.parsed", description="Internal: one parsed filing per message (key: issuer)."
    )
    topic_transactions: str = Field(
        "form4.transactions", description="form4.transaction/1 events (key: issuer CIK)."
    )
    topic_alerts: str = Field("form4.alerts", description="form4.alert/1 records (key: issuer CIK).")
    topic_dlq: str = Field("form4.dlq", description="form4.dead_letter/1 records for unparseable filings.")
    topic_webhook_dlq: str = Field(
        "form4.webhooks.dlq", description="Alerts a webhook subscriber never accepted (after the last retry)."
    )
    topic_partitions: int = Field(
        4, ge=1, description="Partitions of the form4 topics (and table changelogs)."
    )
    topic_replication: int = Field(1, ge=1, description="Replication factor of the form4 topics.")

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
    lag_monitor_interval_seconds: float = Field(
        10.0, gt=0, description="How often the worker refreshes the form4_consumer_lag gauge."
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
    def all_topics(self) -> tuple[str, ...]:
        return (
            self.topic_raw,
            self.topic_parsed,
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


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


__all__ = ["Settings", "get_settings"]
