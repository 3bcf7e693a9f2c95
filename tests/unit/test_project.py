"""Project-level contracts: the README's settings table, one-way dependencies, the CI entry point."""

from __future__ import annotations

import ast
from pathlib import Path

from streams.config.settings_doc import BEGIN, END, settings_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_matches_the_settings_class() -> None:
    """A setting added or changed without regenerating the README's table fails here."""
    readme = (ROOT / "README.md").read_text()
    current = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert current == settings_table(), "run: python -m streams.config.settings_doc and paste into README.md"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_parsers_never_import_streams_kafka_or_faust() -> None:
    """Dependencies point one way: parsers stay pure (no streams, faust, aiokafka, network)."""
    forbidden = {"streams", "faust", "aiokafka", "mode", "aiohttp", "requests", "urllib", "socket", "logging"}
    for path in sorted((ROOT / "parsers").glob("*.py")):
        assert not (_imports(path) & forbidden), f"{path.name} imports {_imports(path) & forbidden}"


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls `make test`, the command the README gives, and nothing less."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test " in (ROOT / "README.md").read_text()
