"""The EDGAR poller's own /metrics (FORM4_EDGAR_METRICS_PORT / --metrics-port)."""

from __future__ import annotations

import urllib.request

from click.testing import CliRunner
from prometheus_client import REGISTRY

from streams.adapters.edgar import metrics
from streams.cli.edgar import edgar
from streams.config.settings import Settings
from streams.localbroker.broker import free_port


def test_the_poller_serves_its_metrics_when_given_a_port() -> None:
    settings = Settings(edgar_metrics_port=free_port())
    assert metrics.serve_metrics(Settings()) is None  # unset: nothing served
    port = metrics.serve_metrics(settings)
    # Other tests of this process count EDGAR responses too: assert the step, not an absolute value.
    before = REGISTRY.get_sample_value("form4_edgar_responses_total", {"status": "429"}) or 0.0
    metrics.edgar_responses.labels("429").inc()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    assert f'form4_edgar_responses_total{{status="429"}} {before + 1.0}' in text
    for name in ("form4_edgar_last_poll_timestamp_seconds", "form4_edgar_filings_sent_total"):
        assert f"\n{name} " in text, name
    assert 'form4_edgar_polls_total{result="failed"} ' in text


def test_follow_and_backfill_take_a_metrics_port() -> None:
    for command in ("follow", "backfill"):
        result = CliRunner().invoke(edgar, [command, "--help"])
        assert result.exit_code == 0 and "--metrics-port" in result.output, command
