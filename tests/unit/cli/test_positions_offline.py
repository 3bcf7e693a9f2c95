"""`form4 positions --offline FILES...`: the positions of a replay, printed like the live command's."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from streams.cli import main
from synthetic import scenarios as sc
from synthetic.render_xml import render_xml
from tests.support.contracts import validate_all

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
    folder = _filings(tmp_path / "in")
    code, out, _ = run("--offline", "--issuer", "acme", "--as-of", "2024-04-06", "--json", str(folder))
    assert code == 0
    body = orjson.loads(out)
    assert (body["issuer"], body["as_of"], body["count"]) == ("acme", "2024-04-06", 3)
    validate_all("position", body["positions"])
    names = [[o["name"] for o in p["holder"]["owners"]] for p in body["positions"]]
    assert names == [["Doe Jane A"], ["Roe Richard"], ["Poe Edgar"]]
    cfo = next(p for p in body["positions"] if p["key"] == CFO_KEY)
    assert (cfo["shares"], cfo["as_of"], cfo["row_count"]) == ("10500", "2024-04-06", 2)
    flows = {f["days"]: f for f in cfo["flows"]}
    assert flows[90]["disposed_shares"] == "6000"  # the late January sale is 87 days before
    assert flows[30]["disposed_shares"] == "2000"
    assert "rows" not in cfo


def test_as_of_moves_the_rolling_flows_and_a_bad_date_is_refused(tmp_path: Path) -> None:
    folder = _filings(tmp_path / "in")
    code, out, _ = run("--offline", "--issuer", "acme", "--as-of", "2024-12-31", "--json", str(folder))
    cfo = next(p for p in orjson.loads(out)["positions"] if p["key"] == CFO_KEY)
    assert code == 0 and {f["days"]: f["disposed_shares"] for f in cfo["flows"]} == {
        30: "0",
        90: "0",
        365: "6000",
    }
    code, _, err = run("--offline", "--issuer", "acme", "--as-of", "April 6th", str(folder))
    assert code == 2 and "as_of must be a date YYYY-MM-DD" in err


def test_offline_filters_by_owner_and_prints_the_table(tmp_path: Path) -> None:
    folder = _filings(tmp_path / "in")
    code, out, _ = run("--offline", "--issuer", "1234567", "--owner", "1000002", str(folder))
    assert code == 0
    reference, header, *lines = out.splitlines()
    assert reference.startswith("flows as of ")
    assert header.split()[:3] == ["holder", "security", "own"]
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


def test_the_table_tells_a_direct_line_held_apart_by_its_vehicle(tmp_path: Path) -> None:
    """Two direct lines of Common Stock, one footnoted "Held in IRA": two rows the reader can tell apart."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = sc.director_sale_beside_ira()
    (folder / f"{f.accession_number}.xml").write_bytes(render_xml(f))
    code, out, _ = run("--offline", "--issuer", "1234567", str(folder))
    assert code == 0
    ira, plain = sorted(out.splitlines()[2:], key=lambda r: "(Held in IRA)" not in r)
    assert "Common Stock (Held in IRA)" in ira and " 1,800 " in ira
    assert "(Held" not in plain and " 9,000 " in plain
