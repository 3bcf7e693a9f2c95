"""Bulk output: raw bytes of many synthetic filings, in memory or written to a folder.

The renderers are plain string builders, so a batch is CPU-bound on generation plus rendering;
files are written with one ``write_bytes`` each, no per-file flush or fsync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from parsers.models import Filing, SourceFormat
from synthetic.generator import generate
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml

RENDERERS: dict[SourceFormat, Callable[[Filing], bytes]] = {
    "xml": render_xml,
    "submission": render_submission,
    "html": render_html,
    "text": render_text,
}
EXTENSIONS: dict[SourceFormat, str] = {
    "xml": ".xml",
    "submission": ".txt",
    "html": ".html",
    "text": ".w3m.txt",
}


def iter_raw(seed: int, n: int, fmt: SourceFormat = "xml") -> Iterator[tuple[Filing, bytes]]:
    """Yield ``(filing, raw bytes)`` for load tests, without touching the disk."""
    render = RENDERERS[fmt]
    for filing in generate(seed, n):
        yield filing, render(filing)


def file_name(filing: Filing, index: int, fmt: SourceFormat) -> str:
    """``000123_0001234567-24-000123.xml``: stream order first, so a directory listing replays in order."""
    return f"{index:06d}_{filing.accession_number}{EXTENSIONS[fmt]}"


def write_batch(
    out_dir: Path | str, seed: int, n: int, formats: Iterable[SourceFormat] = ("xml",)
) -> dict[str, int]:
    """Generate ``n`` filings and write each in every format under ``out_dir/<format>/``.

    Returns:
        Number of files written per format.
    """
    root = Path(out_dir)
    fmts = tuple(formats)
    for fmt in fmts:
        (root / fmt).mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = dict.fromkeys(fmts, 0)
    for index, filing in enumerate(generate(seed, n)):
        for fmt in fmts:
            (root / fmt / file_name(filing, index, fmt)).write_bytes(RENDERERS[fmt](filing))
            counts[fmt] += 1
    return counts


__all__ = ["EXTENSIONS", "RENDERERS", "file_name", "iter_raw", "write_batch"]
