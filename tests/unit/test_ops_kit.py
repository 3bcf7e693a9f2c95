"""docker/'s ops kit: the alerting rules pass promtool, every metric the rules and the dashboard use is
one a worker (or the EDGAR poller) exposes, and compose, Prometheus, Grafana and the runbook agree."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

import streams.adapters.edgar.metrics  # noqa: F401 - registers the poller's metrics in REGISTRY
import streams.adapters.webhooks  # noqa: F401 - registers the webhook counters in REGISTRY
from streams.worker.app import create_app
from tests.unit.worker.fakes import unit_settings

yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extra")

DOCKER = Path(__file__).parents[2] / "docker"
RULES = DOCKER / "prometheus" / "alerts.yml"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "form4.json"
#: Series Prometheus makes itself, not scraped from a target.
SYNTHETIC = {"up"}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        reason = "promtool not installed: run `make tools` (Debian, as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def rule_exprs() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"]}


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p["targets"]]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers outside label matchers, minus functions."""
    bare = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    bare = re.sub(r'"[^"]*"', "", bare)
    names = set(re.findall(r"\b(form4_[a-z0-9_]+|up)\b", bare))
    return names


def exposed_names() -> set[str]:
    """Every sample name a worker serves at /metrics (its app's registry plus the default one, where
    module-level adapter metrics live), built in process; and the EDGAR poller's."""
    registry = CollectorRegistry()
    create_app(unit_settings(), registry)
    names: set[str] = set()
    for reg in (registry, REGISTRY):
        for family in reg.collect():
            kinds = {
                "counter": ("_total",),
                "histogram": ("_bucket", "_sum", "_count"),
                "summary": ("_sum", "_count", ""),
            }.get(family.type, ("",))
            names.update(family.name + k for k in kinds)
    return names


def test_the_rules_pass_promtool_check() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, timeout=60)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


def test_the_rules_fire_as_their_unit_tests_say() -> None:
    tests = DOCKER / "prometheus" / "alerts.test.yml"
    result = subprocess.run([promtool(), "test", "rules", str(tests)], capture_output=True, timeout=120)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


def test_every_metric_of_the_rules_and_the_dashboard_is_exposed() -> None:
    exposed = exposed_names()
    used: dict[str, set[str]] = {}
    for where, expr in [*rule_exprs().items(), *(("dashboard", e) for e in dashboard_exprs())]:
        for name in metric_names(expr) - SYNTHETIC:
            used.setdefault(name, set()).add(where)
    assert used, "no metric found in the rules and the dashboard"
    missing = {name: sorted(where) for name, where in used.items() if name not in exposed}
    assert not missing, f"not exposed by a worker or the EDGAR poller: {missing}"


def test_the_dashboard_shows_what_operators_ask_for() -> None:
    text = " ".join(dashboard_exprs())
    for wanted in (
        "form4_filings_parsed_total",  # throughput
        "form4_consumer_lag",  # lag per topic
        "form4_dead_letters_total",  # dead letters by reason
        "form4_alerts_total",  # alert rate
        "form4_webhook_attempts_total",  # webhook failures
        "form4_processing_latency_seconds_bucket",  # processing latency
    ):
        assert wanted in text, wanted
    board = json.loads(DASHBOARD.read_text())
    datasource = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert all(p["datasource"]["uid"] == uid for p in board["panels"])


def test_compose_runs_grafana_and_prometheus_loads_the_rules() -> None:
    compose: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    prometheus = yaml.safe_load((DOCKER / "prometheus.yml").read_text())
    mounts = compose["services"]["prometheus"]["volumes"]
    (rules_mount,) = [m for m in mounts if m.startswith("./prometheus/alerts.yml:")]
    assert rules_mount.split(":")[1] in prometheus["rule_files"]
    grafana = compose["services"]["grafana"]
    provider = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/form4.yml").read_text())
    dashboards_in = provider["providers"][0]["options"]["path"]
    assert f"./grafana/dashboards:{dashboards_in}:ro" in grafana["volumes"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "/ready" in dockerfile.split("HEALTHCHECK", 1)[1]  # the healthcheck asks readiness


def test_the_runbook_covers_every_alert() -> None:
    runbook = (DOCKER / "RUNBOOK.md").read_text()
    sections = {line.removeprefix("## ").strip() for line in runbook.splitlines() if line.startswith("## ")}
    assert set(rule_exprs()) <= sections
    groups = yaml.safe_load(RULES.read_text())["groups"]
    for rule in (r for g in groups for r in g["rules"]):
        assert rule["annotations"]["runbook"].endswith("#" + rule["alert"].lower())
