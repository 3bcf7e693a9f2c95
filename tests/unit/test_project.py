"""Project-level contracts: the README's settings table, the import layers, the pinned dependencies."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from streams.config.settings_doc import BEGIN, END, settings_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_matches_the_settings_class() -> None:
    """A setting added or changed without regenerating the README's table fails here."""
    readme = (ROOT / "README.md").read_text()
    current = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert current == settings_table(), "run: python -m streams.config.settings_doc and paste into README.md"


def test_import_contracts_are_kept() -> None:
    """import-linter finds every contract of pyproject's [tool.importlinter] kept (layers point one way)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"{lint_imports} is missing: install the [test] extra"
    # --no-cache: the check reads the tree as it is now, and leaves no cache behind.
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def _pins() -> dict[str, Requirement]:
    pins: dict[str, Requirement] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
            pins[canonicalize_name(req.name)] = req
    return pins


def test_constraints_pin_every_declared_dependency_within_its_range() -> None:
    """Each base and [test] dependency of pyproject has a pin in constraints.txt that its range accepts.

    A dependency added or re-ranged without `make lock` fails here, before the image or CI drift.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(text)
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req.name} is not pinned in constraints.txt: run `make lock`"
        version = next(iter(pin.specifier)).version
        assert req.specifier.contains(version, prereleases=True), f"{pin} is outside {req}: run `make lock`"
    assert canonicalize_name(project["name"]) not in pins, "the project itself must not be pinned"
