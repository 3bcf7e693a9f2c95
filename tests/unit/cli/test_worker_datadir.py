"""``form4 worker`` creates its data directory instead of dying with FileNotFoundError (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.adapters import topics_admin
from streams.cli.worker import worker
from streams.config.settings import get_settings


@pytest.fixture()
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_missing_data_dir_is_created_before_anything_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    """A data dir that does not exist yet (three levels) is made, with Faust's worker folder in it."""
    data_dir = tmp_path / "not" / "there" / "yet"
    monkeypatch.setenv("FORM4_DATA_DIR", str(data_dir))

    async def unreachable(*_args: object, **_kwargs: object) -> list[str]:
        raise ConnectionError("stop here: the test is about the folder")

    monkeypatch.setattr(topics_admin, "ensure_topics", unreachable)
    result = CliRunner().invoke(worker, [])
    assert result.exit_code != 0 and "cannot reach Kafka" in result.output
    assert (data_dir / "worker").is_dir()


def test_a_data_dir_that_cannot_be_created_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    """A file where the folder should be: exit 2 naming the folder, no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FORM4_DATA_DIR", str(blocker / "data"))
    result = CliRunner().invoke(worker, [])
    assert result.exit_code == 2
    assert f"cannot create data directory {blocker / 'data'}" in result.output
    assert "Traceback" not in result.output
