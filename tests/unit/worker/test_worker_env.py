"""Settings.to_env() hands a subprocess (the test worker, the demo's) every setting, not a hand-picked few."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from streams.config.settings import Settings
from streams.config.subscribers import WebhookSubscriber
from tests.support.worker import WorkerProcess


def test_every_field_survives_the_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-default values of every kind (Decimal, Path, secrets, JSON lists of models) read back equal."""
    hook = WebhookSubscriber(
        url="http://127.0.0.1:1/hook", secret="s3cret", ticker=("ACME",), min_severity="high", name="h"
    )
    original = Settings(
        cluster_min_insiders=2,
        large_sale_usd=Decimal("123456.78"),
        kafka_libs_dir=Path("/opt/kafka/libs"),
        http_token="tok",
        webhooks=(hook,),
        log_format="json",
        store="rocksdb://",
        edgar_max_rps=2.5,
        edgar_user_agent="Acme ops@acme.example",
        edgar_metrics_port=9108,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="alice",
        kafka_sasl_password="pw",
    )
    env = original.to_env()
    # Every field that has a value is passed; an unset optional one (None) is left out, to stay unset.
    assert set(env) == {f"FORM4_{name.upper()}" for name, value in original if value is not None}
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"FORM4_{name.upper()}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Settings() == original
    assert Settings().webhooks[0].secret.get_secret_value() == "s3cret"


def test_unset_optional_fields_stay_unset_and_each_worker_has_its_own_data_dir(tmp_path: Path) -> None:
    settings = Settings(kafka_libs_dir=None, http_token=None, data_dir=tmp_path)
    assert "FORM4_HTTP_TOKEN" not in settings.to_env()
    other = WorkerProcess(settings=settings, data_dir=tmp_path / "w1")
    assert other.env["FORM4_DATA_DIR"] == str(tmp_path / "w1")
    assert other.env["FORM4_CLUSTER_MIN_INSIDERS"] == str(settings.cluster_min_insiders)
