"""Filing identity whatever the format (issue 9) and whatever the bytes (issue 13, item 3).

The fingerprint is built from what every format carries, so the XML, submission, HTML and text of one
filing share it; byte-level variants (a trailing newline, CRLF, ``curl -d`` joining lines, a BOM,
leading whitespace) are the same filing; an accession number is taken from wherever it can be found.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from parsers import Filing, ParseError, parse
from parsers.html import accession_in_page
from parsers.identity import accession_in_name, copy_rank, normal_accession, normal_name
from synthetic.generator import generate
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml
from synthetic.universe import Universe
from tests.support.corpus import corpus_dir, manifest, require_corpus

RENDERERS: dict[str, Callable[[Filing], bytes]] = {
    "submission": render_submission,
    "xml": render_xml,
    "html": render_html,
    "text": render_text,
}
VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "trailing newline": lambda raw: raw + b"\n",
    "trailing blank lines": lambda raw: raw + b"\n\n  \n",
    "CRLF line endings": lambda raw: raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
    "curl -d (newlines stripped)": lambda raw: b"".join(raw.splitlines()),
    "UTF-8 BOM": lambda raw: b"\xef\xbb\xbf" + raw,
    "leading whitespace": lambda raw: b" \n\t" + raw,
}
# Formats whose layout is lines: with its newlines stripped the input is not that format any more.
LINE_FORMATS = {"submission", "text"}

GOOG_2015 = "DarkMindFX__InsidersTradeMonitor__Docs__Sample_Reportings__SEC__Form4__GOOG__000112760215028697"
TXG_XML = "xml/krymer15__edgar-app__tests__fixtures__sampleform4.xml"
TXG_SUBMISSION = "submission/krymer15__edgar-app__tests__fixtures__0001610717-23-000035.txt"


@cache
def synthetic() -> tuple[Filing, ...]:
    return tuple(generate(11, 12, universe=Universe(11, n_issuers=2), per_day=2, amendment_rate=0.2))


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_every_format_of_a_synthetic_filing_has_the_fingerprint_of_its_submission(fmt: str) -> None:
    """Prevents a format-specific field (CIKs, accession, footnote ids) leaking into the fingerprint."""
    prints = set()
    for filing in synthetic():
        expected = parse(render_submission(filing))
        got = parse(RENDERERS[fmt](filing))
        assert got.fingerprint == expected.fingerprint, f"{fmt} of {filing.accession_number}"
        prints.add(got.fingerprint)
    assert len(prints) == len(synthetic()), "distinct filings must keep distinct fingerprints"


def test_without_an_accession_number_every_format_has_one_filing_id() -> None:
    filing = synthetic()[0]
    ids = {parse(RENDERERS[fmt](filing)).filing_id for fmt in ("xml", "html", "text")}
    assert len(ids) == 1
    (fid,) = ids
    assert fid == f"sha256-{parse(render_xml(filing)).fingerprint[:32]}"


def test_the_fingerprint_changes_with_any_reported_value() -> None:
    """Two filings differing in one row value, the owner or the period are two filings."""
    base = parse(render_xml(synthetic()[0]))
    row = base.rows[0]
    changed = [
        base.model_copy(
            update={"rows": (row.model_copy(update={"shares": (row.shares or 0) + 1}), *base.rows[1:])}
        ),
        base.model_copy(update={"owners": (base.owners[0].model_copy(update={"name": "Someone Else"}),)}),
        base.model_copy(update={"period_of_report": None}),
        base.model_copy(update={"form_type": "4/A"}),
    ]
    assert len({f.fingerprint for f in [base, *changed]}) == 5


def test_the_fingerprint_ignores_layout_not_content() -> None:
    """Row order, trailing zeros and the spelling of names are layout; the filing is the same."""
    base = parse(render_xml(synthetic()[0]))
    rows = tuple(
        r.model_copy(
            update={"shares": r.shares.quantize(Decimal("0.0001")) if r.shares is not None else None}
        )
        for r in reversed(base.rows)
    )
    owners = tuple(o.model_copy(update={"name": o.name.upper() + " ."}) for o in base.owners)
    assert base.model_copy(update={"rows": rows, "owners": owners}).fingerprint == base.fingerprint


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_byte_level_variants_are_the_same_filing(fmt: str, variant: str) -> None:
    """Issue 13 item 3: a variant that parses is the same filing; none is ever a second one."""
    raw = RENDERERS[fmt](synthetic()[1])
    original = parse(raw)
    try:
        again = parse(VARIANTS[variant](raw))
    except ParseError as exc:
        # Only line-based formats may fail, and only when their lines were joined: with a reason.
        assert fmt in LINE_FORMATS and variant.startswith("curl"), exc
        assert exc.reason
        return
    assert again.filing_id == original.filing_id
    assert again.fingerprint == original.fingerprint


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_byte_level_variants_of_real_filings_are_the_same_filing(variant: str) -> None:
    root = require_corpus()
    paths = [
        TXG_XML,
        TXG_SUBMISSION,
        f"html/{GOOG_2015}__SEC_FORM_4.html",
        f"text/{GOOG_2015}__SEC_FORM_4.w3m.txt",
    ]
    for local in paths:
        raw = (root / local).read_bytes()
        try:
            again = parse(VARIANTS[variant](raw))
        except ParseError:
            assert local.startswith(("submission/", "text/")) and variant.startswith("curl"), local
            continue
        assert again.filing_id == parse(raw).filing_id, local


def _pairs() -> list[tuple[str, str]]:
    """(rendering or copy, source) local names from the manifest's ``same-filing-as`` links."""
    by_origin = {}
    root = corpus_dir()
    if root is None:
        return []
    with (root / "manifest.tsv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for r in rows:
        by_origin[(r["repo"], r["path"])] = r["local_name"]
    out = []
    for r in rows:
        for part in r["features"].split(";"):
            if part.strip().startswith("same-filing-as="):
                repo, _, path = part.strip()[len("same-filing-as=") :].partition(":")
                if (repo, path) in by_origin:
                    out.append((r["local_name"], by_origin[(repo, path)]))
    return out


PAIRS = _pairs()


@pytest.mark.skipif(not PAIRS, reason="real EDGAR corpus not found: set FORM4_CORPUS")
@pytest.mark.parametrize(("copy", "source"), PAIRS, ids=[Path(c).name[-50:] for c, _ in PAIRS])
def test_real_copies_of_one_filing_share_its_fingerprint(copy: str, source: str) -> None:
    """Every pair the corpus manifest links (HTML, text renderings, complete submissions vs. XML)."""
    root = require_corpus()
    assert parse((root / copy).read_bytes()).fingerprint == parse((root / source).read_bytes()).fingerprint


def test_real_distinct_filings_have_distinct_fingerprints() -> None:
    """No two filings of the corpus collapse into one, except the copies the manifest links."""
    require_corpus()
    linked = {name for pair in PAIRS for name in pair}
    seen: dict[str, str] = {}
    for row in manifest():
        if row.local_name in linked or not row.local_name.startswith(("xml/", "submission/")):
            continue
        try:
            fp = parse(row.path.read_bytes()).fingerprint
        except ParseError:
            continue
        assert fp not in seen, f"{row.local_name} has the fingerprint of {seen.get(fp)}"
        seen[fp] = row.local_name


def test_the_html_page_names_its_accession_number_in_its_edgar_url() -> None:
    """GOOG 2015: the saved page says ``saved from url=.../data/1288776/000112760215028697/...``."""
    root = require_corpus()
    page = parse((root / f"html/{GOOG_2015}__SEC_FORM_4.html").read_bytes())
    assert page.accession_number == "0001127602-15-028697"
    assert page.filing_id == "0001127602-15-028697"


def test_an_accession_is_read_from_an_archive_url_only_when_the_page_names_one() -> None:
    url = (
        b'<a href="https://www.sec.gov/Archives/edgar/data/1288776/000112760215028697/xslF345X03/form4.xml">'
    )
    assert accession_in_page(b"<html>" + url + b"</html>") == "0001127602-15-028697"
    dashed = b"/Archives/edgar/data/320193/0000320193-24-000081-index.htm"
    assert accession_in_page(dashed) == "0000320193-24-000081"
    other = b"/Archives/edgar/data/1/000000000124000001/x.xml"
    assert accession_in_page(url + other) is None, "two filings named: which one is ambiguous"
    assert accession_in_page(b"<html>no link</html>") is None


def test_accession_numbers_from_names_and_keys() -> None:
    assert normal_accession("000112760215028697") == "0001127602-15-028697"
    assert normal_accession(" 0001127602-15-028697 ") == "0001127602-15-028697"
    assert normal_accession("key") is None and normal_accession("00011276021502869") is None
    assert accession_in_name("in/0001610717-23-000035.txt") == "0001610717-23-000035"
    assert accession_in_name(f"xml/{GOOG_2015}__form4.xml") == "0001127602-15-028697"
    assert accession_in_name("0001610717-23-000035/form4.xml") is None, "only the file's own name"


def test_a_known_accession_is_applied_only_when_the_document_has_none() -> None:
    filing = synthetic()[2]
    bare = parse(render_xml(filing))
    assert bare.accession_number is None
    keyed = bare.with_accession("0009999999-24-000001")
    assert (keyed.accession_number, keyed.filing_id) == ("0009999999-24-000001", "0009999999-24-000001")
    assert keyed.fingerprint == bare.fingerprint
    assert bare.with_accession("not-an-accession") is bare
    own = parse(render_submission(filing))
    assert own.with_accession("0009999999-24-000001").accession_number == filing.accession_number


def test_copy_rank_prefers_the_accession_number_then_ciks_then_a_filing_date() -> None:
    filed = date(2024, 3, 1)
    assert copy_rank("0001-", "0000320193") > copy_rank("0001-", "") > copy_rank(None, "0000320193")
    assert copy_rank(None, "0000320193") > copy_rank(None, "") == copy_rank(None, None) == 0
    # A bare XML keyed by its accession number and its complete submission: only the date differs.
    assert copy_rank("0001-", "0000320193", filed) > copy_rank("0001-", "0000320193", None)
    assert copy_rank("0001-", "", filed) < copy_rank("0001-", "0000320193", None)


def test_names_match_whatever_their_order_case_punctuation_or_initials() -> None:
    assert normal_name("Brin Sergey") == normal_name("SERGEY BRIN") == normal_name("Brin, Sergey M.")
    assert normal_name("Brin Sergey") != normal_name("Page Larry")
