"""The demo's story: inputs labelled by source, short samples, metrics read the way the report reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.cli.demo_run import Source, _short, demo_env, demo_sources, metric_sum
from streams.config.settings import Settings


def test_real_and_synthetic_inputs_are_labelled_apart_with_counts(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "xml").mkdir(parents=True)
    (corpus / "text").mkdir()
    (corpus / "manifest.tsv").write_text("local_name\n")
    for name in ("a.xml", "b.xml", "notes.md"):  # not a filing by its suffix: not pushed, not counted
        (corpus / "xml" / name).write_text("<x/>")
    (corpus / "text" / "c.txt").write_text("x")
    real, synthetic = demo_sources(Settings(corpus=corpus), tmp_path / "samples")
    assert real.label.startswith("real: ") and str(corpus) in real.label
    assert real.parts == [("xml", 2), ("text", 1)] and real.files == 3
    assert real.paths == [corpus / "xml", corpus / "text"]
    assert synthetic.label.startswith("synthetic: ") and synthetic.paths == [tmp_path / "samples"]
    kinds = dict(synthetic.parts)
    assert set(kinds) == {"alert scenarios", "generated batch", "rendered formats", "bad on purpose"}
    assert all(n > 0 for n in kinds.values())
    assert synthetic.files == len(list((tmp_path / "samples").iterdir()))


def test_without_a_corpus_only_the_generated_samples(tmp_path: Path) -> None:
    (only,) = demo_sources(Settings(corpus=tmp_path / "none"), tmp_path / "samples")
    assert only.label.startswith("synthetic: ")


def test_source_description() -> None:
    assert Source("real", [], [("xml", 2), ("text", 1)]).describe() == "xml 2, text 1 = 3 files"


def test_samples_are_shortened_not_rewritten() -> None:
    record = {
        "schema": "form4.dead_letter/1",
        "source_key": None,
        "original_b64": "A" * 500,
        "event_ids": ["e1", "e2", "e3", "e4"],
        "owners": [],
        "late": False,
        "stale": True,
        "figures": {"value_usd": "1500000", "window_start": None},
    }
    assert _short(record) == {
        "schema": "form4.dead_letter/1",
        "original_b64": f"{'A' * 60}... (500 chars)",
        "event_ids": ["e1", "e2", "... 2 more"],
        "stale": True,
        "figures": {"value_usd": "1500000"},
    }


def test_metric_sum_adds_every_label_of_one_metric_only() -> None:
    body = "\n".join(
        [
            "# HELP form4_alerts_total Alerts emitted",
            'form4_alerts_total{kind="alert_raised",rule="large_sale",severity="high"} 3.0',
            'form4_alerts_total{kind="alert_retracted",rule="large_sale",severity="high"} 1.0',
            'form4_alerts_created{kind="alert_raised"} 1.7e9',
            'form4_consumer_lag{partition="0",topic="raw"} 0.0',
            'form4_consumer_lag{partition="1",topic="raw"} 2.0',
            "form4_events_emitted_total 12.0",
        ]
    )
    assert metric_sum(body, "form4_alerts_total") == 4
    assert metric_sum(body, "form4_consumer_lag") == 2
    assert metric_sum(body, "form4_events_emitted_total") == 12
    assert metric_sum(body, "form4_dead_letters_total") == 0


def test_the_worker_and_push_get_every_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The demo's subprocesses read back exactly the demo's settings, a threshold set by the user included."""
    monkeypatch.setenv("FORM4_LARGE_SALE_USD", "123456")
    monkeypatch.setenv("FORM4_WEB_PORT", "1")  # the user's own: the demo's free port wins
    monkeypatch.setenv("PATH_FOR_THE_TEST", "kept")
    settings = Settings(data_dir=tmp_path, web_port=40123, app_id="form4-demo")
    env = demo_env(settings)
    assert env["PATH_FOR_THE_TEST"] == "kept"
    assert env["FORM4_WEB_PORT"] == "40123" and env["FORM4_LARGE_SALE_USD"] == "123456"
    for name in [k for k in env if k.startswith("FORM4_")]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if name.startswith("FORM4_"):
            monkeypatch.setenv(name, value)
    assert Settings() == settings
