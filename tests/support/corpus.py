"""Access to the real EDGAR filings in ``FORM4_CORPUS`` (default ``../shared/filings``).

The corpus is referenced by path, never copied into the repository. On a stranger's clone it is
absent and the tests that need it skip with that reason.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path | None:
    raw = os.environ.get("FORM4_CORPUS", "../shared/filings")
    path = Path(raw)
    if not path.is_absolute():
        path = (REPO_ROOT / path).resolve()
    return path if (path / "manifest.tsv").is_file() else None


@dataclass(frozen=True)
class ManifestRow:
    local_name: str
    format: str
    form_type: str
    issuer_ticker: str
    n_reporting_owners: int | None
    n_nonderiv_rows: int | None
    n_deriv_rows: int | None
    transaction_codes: str
    features: str
    path: Path

    def feature(self, name: str) -> bool:
        return name in self.features


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


@cache
def manifest() -> tuple[ManifestRow, ...]:
    root = corpus_dir()
    if root is None:
        return ()
    with (root / "manifest.tsv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return tuple(
        ManifestRow(
            local_name=r["local_name"],
            format=r["format"],
            form_type=r["form_type"],
            issuer_ticker=r["issuer_ticker"],
            n_reporting_owners=_int(r["n_reporting_owners"]),
            n_nonderiv_rows=_int(r["n_nonderiv_rows"]),
            n_deriv_rows=_int(r["n_deriv_rows"]),
            transaction_codes=r["transaction_codes"],
            features=r["features"],
            path=root / r["local_name"],
        )
        for r in rows
    )


def require_corpus() -> Path:
    """The corpus folder, or skip the calling test with the reason."""
    root = corpus_dir()
    if root is None:
        pytest.skip("real EDGAR corpus not found: set FORM4_CORPUS to a folder with manifest.tsv")
    return root
