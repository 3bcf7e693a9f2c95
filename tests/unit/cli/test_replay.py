"""``form4 replay``: the pipeline without Kafka, as JSON lines; one filing in two formats counted once.

The real filings are the oracle (``FORM4_CORPUS``): GOOG's 2015 Form 4 as XML and as EDGAR's HTML
page reports 17 sales of 16,670 Class A shares in all; TXG's Form 4 (0001610717-23-000035) as a bare
XML and as its complete submission reports an exercise of 200,000 options to 202,745 shares and a sale
of 33,000 at $52.8208, leaving 169,745: 16.3% of the holding, under the 25% fraction threshold.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from streams.cli import main
from streams.config.settings import Settings
from streams.domain.offline import canonical_order, replay
from synthetic import scenarios as sc
from synthetic.render_html import render_html
from synthetic.render_submission import render_submission
from synthetic.render_text import render_text
from synthetic.render_xml import render_xml
from tests.support.corpus import require_corpus

GOOG = "DarkMindFX__InsidersTradeMonitor__Docs__Sample_Reportings__SEC__Form4__GOOG__000112760215028697"
GOOG_XML = f"xml/{GOOG}__form4.xml"
GOOG_HTML = f"html/{GOOG}__SEC_FORM_4.html"
GOOG_TEXT = f"text/{GOOG}__SEC_FORM_4.w3m.txt"
TXG_XML = "xml/krymer15__edgar-app__tests__fixtures__sampleform4.xml"
TXG_SUBMISSION = "submission/krymer15__edgar-app__tests__fixtures__0001610717-23-000035.txt"


def run(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(main, ["replay", *args])
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


def of(lines: list[dict[str, Any]], schema: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["schema"] == schema]


def sold(events: list[dict[str, Any]]) -> Decimal:
    return sum(
        (
            Decimal(e["shares"])
            for e in events
            if e["transaction_code"] == "S" and e["table"] == "non_derivative"
        ),
        Decimal(0),
    )


def test_goog_2015_as_xml_and_html_is_one_filing_of_16670_shares_sold() -> None:
    root = require_corpus()
    for paths in ([GOOG_XML, GOOG_HTML], [GOOG_HTML, GOOG_XML, GOOG_TEXT]):
        code, lines, err = run("--as-of", "2015-10-05", *(str(root / p) for p in paths))
        assert code == 0, err
        events = of(lines, "form4.transaction/1")
        assert len(events) == 20 and {e["filing_id"] for e in events} == {"0001127602-15-028697"}
        assert sold(events) == Decimal("16670")
        class_a = next(
            p for p in of(lines, "form4.position/1") if p["security_title"] == "Class A Common Stock"
        )
        assert class_a["shares"] == "0"
        month = next(f for f in class_a["flows"] if f["days"] == 30)
        assert Decimal(month["disposed_shares"]) == Decimal("16670"), (
            "not 33,340: the HTML is the same filing"
        )
        (sale,) = of(lines, "form4.alert/1")
        assert sale["rule"] == "large_sale" and Decimal(sale["figures"]["shares"]) == Decimal("16670")
        assert sale["accession_numbers"] == ["0001127602-15-028697"]


def test_txg_as_xml_and_submission_is_one_filing_and_no_false_fraction_alert() -> None:
    root = require_corpus()
    for paths in ([TXG_XML, TXG_SUBMISSION], [TXG_SUBMISSION, TXG_XML]):
        code, lines, err = run("--as-of", "2023-05-20", *(str(root / p) for p in paths))
        assert code == 0, err
        events = of(lines, "form4.transaction/1")
        assert len(events) == 3 and {e["filing_id"] for e in events} == {"0001610717-23-000035"}
        assert sold(events) == Decimal("33000")
        class_a = next(
            p for p in of(lines, "form4.position/1") if p["security_title"] == "Class A Common Stock"
        )
        assert class_a["shares"] == "169745"
        assert [a["rule"] for a in of(lines, "form4.alert/1")] == ["large_sale"], "16.3% is under 25%"
        (sale,) = of(lines, "form4.alert/1")
        assert Decimal(sale["figures"]["shares"]) == Decimal("33000")


def test_offline_replay_applies_the_txg_sale_once_whatever_the_order() -> None:
    """The same through ``streams.domain.offline.replay``, as the live-vs-offline checks use it."""
    root = require_corpus()
    raws = [(str(root / p), (root / p).read_bytes()) for p in (TXG_XML, TXG_SUBMISSION)]
    for order in (raws, raws[::-1]):
        done = replay(order, Settings())
        sales = [s for day in done.stores.sales.values() for s in day.sales]
        assert [s.shares for s in sales] == [Decimal("33000")]
        assert not any(a.rule == "large_fraction_sold" for a in done.standing_alerts)


def _scenario_files(folder: Path) -> list[Path]:
    """Generated filings that trip alert rules, each in two or three formats, one a bare XML."""
    folder.mkdir(parents=True)
    (folder / "sub").mkdir()
    paths = []
    for i, filing in enumerate([*sc.cluster_of_sales(), sc.late_filing()]):
        copies = {
            f"{filing.accession_number}.txt": render_submission(filing),
            f"bare-{i}.xml": render_xml(filing),
            f"sub/page-{i}.html": render_html(filing),
        }
        if i % 2:
            copies[f"sub/rendered-{i}.txt"] = render_text(filing)
        for name, raw in copies.items():
            (folder / name).write_bytes(raw)
            paths.append(folder / name)
    (folder / "junk.xml").write_bytes(b"<ownershipDocument><oops>")
    paths.append(folder / "junk.xml")
    return paths


def test_the_order_of_the_inputs_never_changes_the_output(tmp_path: Path) -> None:
    paths = [str(p) for p in _scenario_files(tmp_path / "in")]
    first = CliRunner().invoke(main, ["replay", "--as-of", "2024-05-01", *paths])
    assert first.exit_code == 1, "the junk file is a dead letter"
    shuffled = paths[:]
    for seed in range(3):
        random.Random(seed).shuffle(shuffled)
        again = CliRunner().invoke(main, ["replay", "--as-of", "2024-05-01", *shuffled])
        assert again.stdout == first.stdout
    # A folder recurses, and gives the same as its files listed.
    folder = CliRunner().invoke(main, ["replay", "--as-of", "2024-05-01", str(tmp_path / "in")])
    assert folder.stdout == first.stdout


def test_each_filing_counts_once_and_every_part_is_printed_sorted(tmp_path: Path) -> None:
    paths = [str(p) for p in _scenario_files(tmp_path / "in")]
    code, lines, err = run("--as-of", "2024-05-01", *paths)
    assert code == 1
    events = of(lines, "form4.transaction/1")
    filings = [*sc.cluster_of_sales(), sc.late_filing()]
    assert {e["filing_id"] for e in events} == {f.accession_number for f in filings}
    assert len(events) == sum(len(f.rows) for f in filings)
    assert [e["event_id"] for e in events] == sorted(e["event_id"] for e in events)
    positions = of(lines, "form4.position/1")
    assert positions and [p["key"] for p in positions] == sorted(p["key"] for p in positions)
    assert all(p["flows_as_of"] == "2024-05-01" for p in positions)
    alerts = of(lines, "form4.alert/1")
    assert {a["rule"] for a in alerts} >= {"cluster_selling"}
    assert [a["alert_id"] for a in alerts] == sorted(a["alert_id"] for a in alerts)
    assert [p["schema"] for p in lines] == sorted(
        (p["schema"] for p in lines), key=["form4.transaction/1", "form4.position/1", "form4.alert/1"].index
    )
    (letter,) = [orjson.loads(line) for line in err.splitlines()]
    assert letter["schema"] == "form4.dead_letter/1" and letter["reason"] == "malformed_xml"
    assert letter["source_topic"] == "replay" and letter["source_key"].endswith("junk.xml")


def test_flags_choose_the_parts(tmp_path: Path) -> None:
    paths = [str(p) for p in _scenario_files(tmp_path / "in") if p.name != "junk.xml"]
    code, lines, _ = run("--alerts", *paths)
    assert code == 0 and lines and {line["schema"] for line in lines} == {"form4.alert/1"}
    code, lines, _ = run("--events", "--positions", *paths)
    assert {line["schema"] for line in lines} == {"form4.transaction/1", "form4.position/1"}
    code, _, err = run("--as-of", "yesterday", *paths)
    assert code == 2 and "as_of must be a date" in err


def test_canonical_order_depends_on_contents_not_on_the_listing() -> None:
    raws = [("a", b"1"), ("b", b"2"), ("c", b"3")]
    assert canonical_order(raws) == canonical_order(raws[::-1])
    assert canonical_order([("z", b"same"), ("a", b"same")]) == [("a", b"same"), ("z", b"same")]
