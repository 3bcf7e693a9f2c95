"""``form4 edgar follow --once`` against the fake EDGAR and the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streams.adapters.consume import read_all
from streams.config.settings import Settings
from tests.support.edgar_server import EdgarServer, load_filings
from tests.support.kafka import TopicFactory

REPO = Path(__file__).parents[2]
UA = "form4-stream tests tests@example.com"


def follow_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams", "edgar", "follow", "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_follow_once_pushes_each_filing_once(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    """One poll puts every listed filing on the raw topic keyed by accession; a second poll adds nothing."""
    (raw_topic,) = await kafka_topics("raw", partitions=2)
    filings = load_filings(15)
    with EdgarServer(filings) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
        env |= {
            "FORM4_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "FORM4_TOPIC_RAW": raw_topic,
            "FORM4_DATA_DIR": str(tmp_path),
            "FORM4_EDGAR_BASE_URL": server.base_url,
            "FORM4_EDGAR_USER_AGENT": UA,
        }
        first = follow_once(env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip().endswith(f"sent {len(filings)}, already sent 0, failed 0")
        second = follow_once(env)
        assert second.returncode == 0, second.stderr
        assert "sent 0," in second.stdout
        assert {h.user_agent for h in server.hits} == {UA}

    records = await read_all(Settings(kafka_bootstrap=kafka_bootstrap), raw_topic)
    assert sorted(r.key for r in records) == sorted(f.accession.encode() for f in filings)
    by_key = {r.key: r.value for r in records}
    assert all(by_key[f.accession.encode()] == f.body for f in filings)
