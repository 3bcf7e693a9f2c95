"""Helpers for the rendering tests: manifest links from rendered files to their XML source."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from parsers import Filing
from tests.support.corpus import ManifestRow, corpus_dir, manifest


@cache
def _raw_manifest() -> tuple[dict[str, str], ...]:
    root = corpus_dir()
    if root is None:
        return ()
    with (root / "manifest.tsv").open(newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh, delimiter="\t"))


def rendered(fmt: str) -> list[ManifestRow]:
    """Manifest rows of ``fmt`` ("html" or "text") that really are renderings (not XML files)."""
    out = []
    for row in manifest():
        if row.format != fmt or not row.local_name.startswith(f"{fmt}/"):
            continue
        head = row.path.read_bytes()[:200].lstrip()
        if head.startswith(b"<?xml") or b"<ownershipDocument" in head:
            continue  # an "html" row that is an XML file: the XML parser's business
        out.append(row)
    return out


def _feature(local_name: str, key: str) -> str | None:
    for raw in _raw_manifest():
        if raw["local_name"] == local_name:
            for part in raw["features"].split(";"):
                if part.strip().startswith(key + "="):
                    return part.strip()[len(key) + 1 :]
    return None


def source_of(row: ManifestRow) -> ManifestRow | None:
    """The XML/submission file of the same filing, from ``same-filing-as=REPO:PATH`` or, for
    renderings of an ``.html`` whose sibling ``.xml`` with the same stem is in the corpus, that one."""
    link = _feature(row.local_name, "same-filing-as")
    raws = _raw_manifest()
    target: tuple[str, str] | None = None
    if link:
        repo, _, path = link.partition(":")
        target = (repo, path)
    else:
        me = next(r for r in raws if r["local_name"] == row.local_name)
        if me["path"].endswith(".html"):
            target = (me["repo"], me["path"][: -len(".html")] + ".xml")
    if target is None:
        return None
    for raw in raws:
        if (raw["repo"], raw["path"]) == target and raw["format"] in ("xml", "submission_txt"):
            return next(m for m in manifest() if m.local_name == raw["local_name"])
    return None


def counted(rows: list[ManifestRow]) -> list[tuple[ManifestRow, ManifestRow]]:
    """``(rendering, source)`` for the renderings whose XML source the manifest counted.

    Used at collection, so that a rendering without a counted source generates no test case at all
    rather than one that always skips.
    """
    pairs = ((row, source_of(row)) for row in rows)
    return [(row, src) for row, src in pairs if src is not None and src.n_reporting_owners is not None]


def ids(rows: list[ManifestRow]) -> list[str]:
    return [Path(r.local_name).name[-60:] for r in rows]


def shape(f: Filing) -> tuple[int, int, int, set[str]]:
    """Owners, Table I rows, Table II rows and transaction codes: what the manifest counts."""
    t1 = sum(r.table == "non_derivative" for r in f.rows)
    return len(f.owners), t1, len(f.rows) - t1, {r.transaction_code for r in f.rows if r.transaction_code}
