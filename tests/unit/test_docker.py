"""docker/: the compose file and the Prometheus config agree with each other and with Settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.config.settings import Settings

yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extra")

DOCKER = Path(__file__).parents[2] / "docker"
WORKERS = ("worker-1", "worker-2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return loaded


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_compose_has_the_services(compose: dict[str, Any]) -> None:
    """Kafka 4.4 in KRaft mode, the one-shot topics service, two workers and Prometheus are defined."""
    services = compose["services"]
    assert {"kafka", "topics", *WORKERS, "prometheus"} <= set(services)
    kafka = services["kafka"]
    assert kafka["image"] == "apache/kafka:4.4.0"
    assert _env(kafka)["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["topics"]["command"] == ["form4", "topics", "create"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in WORKERS:
        assert services[name]["command"] == ["form4", "worker"]
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_every_form4_variable_is_a_setting(compose: dict[str, Any]) -> None:
    """Each FORM4_* variable in compose names a real Settings field and holds a value it accepts."""
    fields = {f"FORM4_{name.upper()}" for name in Settings.model_fields}
    seen = 0
    for name, service in compose["services"].items():
        form4 = {k: v for k, v in _env(service).items() if k.startswith("FORM4_")}
        unknown = set(form4) - fields
        assert not unknown, f"{name}: {sorted(unknown)} are not Settings fields"
        Settings(**{k.removeprefix("FORM4_").lower(): v for k, v in form4.items()})
        seen += len(form4)
    assert seen


def test_workers_share_a_group_and_agree_on_partitions(compose: dict[str, Any]) -> None:
    """The workers have one FORM4_APP_ID, distinct web ports, and the topics service's partition count."""
    services = compose["services"]
    envs = {name: _env(services[name]) for name in WORKERS}
    assert len({e["FORM4_APP_ID"] for e in envs.values()}) == 1
    assert len({e["FORM4_WEB_PORT"] for e in envs.values()}) == len(WORKERS)
    partitions = _env(services["topics"])["FORM4_TOPIC_PARTITIONS"]
    assert all(e["FORM4_TOPIC_PARTITIONS"] == partitions for e in envs.values())
    for name, env in envs.items():
        assert f"{env['FORM4_WEB_PORT']}:{env['FORM4_WEB_PORT']}" in services[name]["ports"]


def test_prometheus_scrapes_both_workers(compose: dict[str, Any]) -> None:
    """prometheus.yml targets each worker service on its FORM4_WEB_PORT at /metrics, and compose mounts it."""
    config = yaml.safe_load((DOCKER / "prometheus.yml").read_text())
    jobs = config["scrape_configs"]
    targets = {t for job in jobs for sc in job["static_configs"] for t in sc["targets"]}
    expected = {f"{name}:{_env(compose['services'][name])['FORM4_WEB_PORT']}" for name in WORKERS}
    assert expected <= targets
    assert all(job.get("metrics_path", "/metrics") == "/metrics" for job in jobs)
    volumes = compose["services"]["prometheus"]["volumes"]
    assert any(v.startswith("./prometheus.yml:") for v in volumes)


def test_the_project_image_is_built_once_and_reused_by_tag(compose: dict[str, Any]) -> None:
    """One service builds the project image from docker/Dockerfile; every other one runs that tag."""
    services = compose["services"]
    builders = {name: svc for name, svc in services.items() if "build" in svc}
    assert len(builders) == 1, f"the image is built by {sorted(builders)}"
    (builder,) = builders.values()
    tag = builder["image"]
    build = builder["build"]
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == (DOCKER / "Dockerfile").resolve()
    users = {name for name, svc in services.items() if svc.get("image") == tag}
    assert {"topics", *WORKERS} <= users
    for name in users - set(builders):
        # A local tag: compose must not look it up on a registry before the builder has made it.
        assert services[name].get("pull_policy") == "never", name
