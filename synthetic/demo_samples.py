"""Sample input of ``form4 demo``: alert scenarios, a realistic synthetic batch and a few bad files.

Written fresh into a folder on each run (nothing large is committed); deterministic.
"""

from __future__ import annotations

from pathlib import Path

from synthetic import scenarios as sc
from synthetic.generator import generate
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml

SEED = 4
BATCH = 300

# Bad input on purpose: each one is dead-lettered with its reason code, never dropped.
_BAD = {
    "bad-10k.txt": b"<SEC-DOCUMENT>0000320193-24-000123.txt\n<SEC-HEADER>\n"
    b"ACCESSION NUMBER:\t\t0000320193-24-000123\n"
    b"CONFORMED SUBMISSION TYPE:\t10-K\n</SEC-HEADER>\n<DOCUMENT>\n<TYPE>10-K\n<TEXT>annual report</TEXT>\n"
    b"</DOCUMENT>\n</SEC-DOCUMENT>\n",
    "bad-truncated.xml": b'<?xml version="1.0"?>\n<ownershipDocument><schemaVersion>X0508</schemaVersion>'
    b"<documentType>4</documentType><issuer><issuerCik>0000320193",
    "bad-binary.xml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
}


def write_demo_samples(out: Path) -> Path:
    """Write the sample filings under ``out`` and return it."""
    out.mkdir(parents=True, exist_ok=True)
    original, retracting = sc.amended_below_threshold()
    scenarios = [
        original,
        sc.director_30pct_sale(),
        sc.liquidation_to_zero(),
        *sc.cluster_of_sales(),
        sc.plan_sale(),
        sc.exercise_and_sell(),
        sc.late_filing(),
        retracting,
    ]
    for f in scenarios:
        (out / f"scenario-{f.accession_number}.txt").write_bytes(render_submission(f))
    # The batch comes as EDGAR serves it (ownership XML, complete submissions). Renderings without
    # CIKs would key their issuer by ticker and owners by name, apart from the CIK-keyed filings.
    renderers = (("xml", render_xml), ("txt", render_submission))
    for i, f in enumerate(generate(SEED, BATCH)):
        suffix, render = renderers[i % len(renderers)]
        (out / f"synthetic-{i:04d}.{suffix}").write_bytes(render(f))
    # One filing in each rendered format, to show they parse too.
    for f, (suffix, render) in zip(
        generate(SEED + 1, 2), (("htm", render_html), ("text.txt", render_text)), strict=True
    ):
        (out / f"rendered-{f.accession_number}.{suffix}").write_bytes(render(f))
    for name, raw in _BAD.items():
        (out / name).write_bytes(raw)
    return out
