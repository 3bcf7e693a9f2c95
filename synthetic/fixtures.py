"""The committed sample of synthetic filings in ``tests/fixtures/synthetic/`` and how to rebuild it.

``python -m synthetic.fixtures`` rewrites the folder; the determinism test regenerates every file
and compares bytes, so any change to the generator or a renderer shows up as a fixture diff.
"""

from __future__ import annotations

from pathlib import Path

from parsers.models import Filing, SourceFormat
from synthetic.batch import EXTENSIONS, RENDERERS
from synthetic.generator import generate

FIXTURE_SEED = 20240611
FIXTURE_COUNT = 400
FIXTURE_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "synthetic"

# (label, predicate on a filing, formats): the first filing of the seeded stream matching each.
_PICKS: tuple[tuple[str, str, tuple[SourceFormat, ...]], ...] = (
    ("form4_sale", "S", ("xml", "html", "text")),
    ("form4_exercise", "M", ("submission",)),
    ("form4_joint", "joint", ("xml",)),
    ("form4a_amendment", "4/A", ("submission",)),
    ("form3_initial", "3", ("xml", "html")),
    ("form5_annual", "5", ("text",)),
)


def _matches(filing: Filing, what: str) -> bool:
    if what in ("3", "5", "4/A"):
        return filing.form_type == what
    if what == "joint":
        return filing.form_type == "4" and len(filing.owners) > 1
    return filing.form_type == "4" and any(r.transaction_code == what for r in filing.rows)


def build_fixtures() -> dict[str, bytes]:
    """File name -> bytes of every fixture, deterministically."""
    stream = list(generate(FIXTURE_SEED, FIXTURE_COUNT))
    out: dict[str, bytes] = {}
    for label, what, formats in _PICKS:
        filing = next(f for f in stream if _matches(f, what))
        for fmt in formats:
            out[f"{label}{EXTENSIONS[fmt]}"] = RENDERERS[fmt](filing)
    return out


def write_fixtures(folder: Path = FIXTURE_DIR) -> list[Path]:
    """(Re)write the fixture files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in build_fixtures().items():
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_fixtures():
        print(written)
