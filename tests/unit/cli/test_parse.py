"""``form4 parse``: JSON lines per event or per filing, errors on stderr, other files still printed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from streams.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "filings"
REPO = Path(__file__).resolve().parents[3]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 always keeps stderr apart
        return CliRunner()


def test_events_as_json_lines() -> None:
    """Each row must print as one form4.transaction/1 JSON line, not one blob per file."""
    result = _runner().invoke(main, ["parse", str(FIXTURES / "form4_rich.xml")])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    events = [json.loads(line) for line in lines]
    assert {e["schema"] for e in events} == {"form4.transaction/1"}
    assert events[0]["price_per_share"] is None
    assert events[3]["total_value"] == "250000"


def test_filing_flag_one_object_per_filing() -> None:
    """--filing must print one Filing object per input, not its events."""
    result = _runner().invoke(
        main, ["parse", "--filing", str(FIXTURES / "form4_rich.xml"), str(FIXTURES / "submission_form4.txt")]
    )
    assert result.exit_code == 0, result.stderr
    filings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["source_format"] for f in filings] == ["xml", "submission"]
    assert filings[1]["accession_number"] == "0009999999-24-000123"


def test_failure_reported_and_others_printed(tmp_path: Path) -> None:
    """A bad file must give one stderr line (name, reason) and exit 1 while the good files still print."""
    shutil.copy(FIXTURES / "form4a_amendment.xml", tmp_path / "a_good.xml")
    shutil.copy(FIXTURES / "submission_10k.txt", tmp_path / "b_bad.txt")
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / "form4_joint_namespaced.xml", tmp_path / "sub" / "c_good.xml")
    (tmp_path / ".hidden").write_bytes(b"junk")
    result = _runner().invoke(main, ["parse", str(tmp_path)])
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["issuer"]["cik"] for e in events] == ["0000055555", "0000320193"]
    (error,) = result.stderr.strip().splitlines()
    assert "b_bad.txt" in error and "not_ownership_form" in error


def test_stdin_dash() -> None:
    """ "-" must read the filing from stdin."""
    result = _runner().invoke(main, ["parse", "-"], input=(FIXTURES / "form4a_amendment.xml").read_bytes())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["form_type"] == "4/A"


def test_parse_command_does_not_import_faust() -> None:
    """`form4 parse` must not load Faust (slow start, broker config), even indirectly."""
    code = (
        "import sys; from click.testing import CliRunner; from streams.cli import main; "
        f"r = CliRunner().invoke(main, ['parse', {str(FIXTURES / 'form4_rich.xml')!r}]); "
        "assert r.exit_code == 0, r.output; "
        "print('faust' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
