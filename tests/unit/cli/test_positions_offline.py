"""`form4 positions --offline FILES...`: the positions of a replay, printed like the live command's."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from streams.cli import main
from synthetic import scenarios as sc
from synthetic.render_xml import render_xml

CFO_KEY = "0001234567|0001000002|common stock|D"


def _filings(folder: Path) -> Path:
    """The three-seller cluster and a late CFO sale, as XML files in ``folder``."""
    folder.mkdir()
    for f in [*sc.cluster_of_sales(), sc.late_filing()]:
        (folder / f"{f.accession_number}.xml").write_bytes(render_xml(f))
    return folder


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["positions", *args])
    return result.exit_code, result.stdout, result.stderr


def test_offline_json_is_the_live_answer_for_the_replayed_files(tmp_path: Path) -> None:
    """Three insiders of ACME, by ticker; the CFO's holding is April's 10,500, not January's late 8,500."""
    code, out, _ = run("--offline", "--issuer", "acme", "--json", str(_filings(tmp_path / "in")))
    assert code == 0
    body = orjson.loads(out)
    assert (body["issuer"], body["count"]) == ("acme", 3)
    assert [p["owner_name"] for p in body["positions"]] == ["Doe Jane A", "Roe Richard", "Poe Edgar"]
    cfo = next(p for p in body["positions"] if p["key"] == CFO_KEY)
    assert (cfo["shares"], cfo["as_of"], cfo["row_count"]) == ("10500", "2024-04-06", 2)
    assert cfo["windows"]["90"]["disposed_shares"] == "6000"
    assert "rows" not in cfo


def test_offline_filters_by_owner_and_prints_the_table(tmp_path: Path) -> None:
    folder = _filings(tmp_path / "in")
    code, out, _ = run("--offline", "--issuer", "1234567", "--owner", "1000002", str(folder))
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split()[:3] == ["owner", "security", "own"]
    assert len(lines) == 1 and lines[0].startswith("Roe Richard")
    assert "10,500" in lines[0]
    code, out, _ = run("--offline", "--issuer", "ZZZ", str(folder))
    assert (code, out.strip()) == (0, "no positions for ZZZ")


def test_offline_reports_files_that_do_not_parse_on_stderr(tmp_path: Path) -> None:
    folder = _filings(tmp_path / "in")
    (folder / "broken.xml").write_bytes(b"<ownershipDocument><oops")
    code, out, err = run("--offline", "--issuer", "ACME", "--json", str(folder))
    assert code == 0 and orjson.loads(out)["count"] == 3
    assert "1 file(s) did not parse" in err


def test_files_and_offline_go_together(tmp_path: Path) -> None:
    """--offline without FILES, or FILES without --offline, is a usage error: nothing is guessed."""
    assert run("--offline", "--issuer", "ACME")[0] == 2
    assert run("--issuer", "ACME", str(_filings(tmp_path / "in")))[0] == 2
