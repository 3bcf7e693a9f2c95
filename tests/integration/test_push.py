"""``form4 push`` as a real command against the test broker: keys, counts and stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streams.adapters.consume import read_all
from streams.config.settings import Settings
from tests.support.kafka import TopicFactory

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"
REPO = Path(__file__).parents[2]


async def test_push_directory_and_stdin_keys_by_accession(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    """A directory and a stdin filing land on the raw topic keyed by accession; junk is skipped or failed."""
    (raw_topic,) = await kafka_topics("raw")
    folder = tmp_path / "in"
    folder.mkdir()
    submission = (FIXTURES / "submission_form4.txt").read_bytes()
    xml = (FIXTURES / "form4_rich.xml").read_bytes()
    (folder / "filing.txt").write_bytes(submission)
    (folder / "0001111111-24-000042.xml").write_bytes(xml)  # accession from the file name
    (folder / "README.md").write_text("not a filing")  # skipped: suffix
    (folder / "empty.xml").write_bytes(b"  \n")  # skipped: empty
    stdin_filing = submission.replace(b"0009999999-24-000123", b"0009999999-24-000777")

    env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
    env |= {"FORM4_KAFKA_BOOTSTRAP": kafka_bootstrap, "FORM4_TOPIC_RAW": raw_topic}
    argv = [sys.executable, "-m", "streams", "push", str(folder), "-", str(tmp_path / "gone.xml")]
    done = subprocess.run(argv, input=stdin_filing, env=env, cwd=REPO, capture_output=True, timeout=120)
    out = done.stdout.decode().strip().splitlines()
    assert out[-1] == "sent 3, skipped 2, failed 1", done.stderr.decode()
    assert done.returncode == 1  # the missing file counts as failed
    assert b"gone.xml" in done.stderr

    records = await read_all(Settings(kafka_bootstrap=kafka_bootstrap), raw_topic)
    assert {(r.key, r.value) for r in records} == {
        (b"0009999999-24-000123", submission),
        (b"0001111111-24-000042", xml),
        (b"0009999999-24-000777", stdin_filing),
    }
