"""``form4 push`` file selection: what is pushed, what is skipped, without a broker."""

from __future__ import annotations

from pathlib import Path

from streams.cli.push import candidates


def test_directories_are_walked_and_non_filings_are_marked_skip(tmp_path: Path) -> None:
    """Filing suffixes are pushed and other files skipped; a missing named path is still tried (and fails)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<ownershipDocument/>")
    (tmp_path / "sub" / "0001234567-24-000123.txt").write_bytes(b"x")
    (tmp_path / "notes.md").write_text("not a filing")
    (tmp_path / "sub" / "form.NC").write_bytes(b"x")
    found = [(p.relative_to(tmp_path).as_posix(), v) for p, v in candidates([tmp_path])]
    assert found == [
        ("a.xml", "push"),
        ("notes.md", "skip"),
        ("sub/0001234567-24-000123.txt", "push"),
        ("sub/form.NC", "push"),
    ]
    missing = tmp_path / "missing.xml"
    assert list(candidates([missing])) == [(missing, "push")]
