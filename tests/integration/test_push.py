"""``form4 push`` as a real command against the test broker: keys, counts, a terminal, a 100 MB file,
a missing path, and ``--resume`` after an interrupted run."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from streams.adapters.consume import read_all
from streams.config.settings import Settings
from synthetic import write_batch
from tests.support.kafka import TopicFactory

FIXTURES = Path(__file__).parents[1] / "fixtures" / "filings"
REPO = Path(__file__).parents[2]
GENERATED = 1100


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,100 synthetic XML filings (file names carry their accession numbers)."""
    root = tmp_path_factory.mktemp("generated")
    write_batch(root, seed=13, n=GENERATED)
    return root / "xml"


def env_of(bootstrap: str, topic: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
    return env | {
        "FORM4_KAFKA_BOOTSTRAP": bootstrap,
        "FORM4_TOPIC_RAW": topic,
        "FORM4_DATA_DIR": str(data_dir),
    }


def push_argv(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "streams", "push", *map(str, args)]


def last_line(text: bytes) -> str:
    return text.decode(errors="replace").replace("\r", "\n").strip().splitlines()[-1].strip()


async def values_on(bootstrap: str, topic: str) -> Counter[bytes]:
    return Counter(r.value for r in await read_all(Settings(kafka_bootstrap=bootstrap), topic))


async def test_push_directory_and_stdin_keys_by_accession(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    """A directory and a stdin filing land on the raw topic keyed by accession; junk is skipped, with why."""
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

    env = env_of(kafka_bootstrap, raw_topic, tmp_path / "data")
    done = subprocess.run(
        push_argv(folder, "-"), input=stdin_filing, env=env, cwd=REPO, capture_output=True, timeout=120
    )
    assert last_line(done.stdout) == "sent 3, skipped 2, failed 0", done.stderr.decode()
    assert done.returncode == 0
    assert b"skipped 1 not a filing (suffix), 1 empty" in done.stderr

    records = await read_all(Settings(kafka_bootstrap=kafka_bootstrap), raw_topic)
    assert {(r.key, r.value) for r in records} == {
        (b"0009999999-24-000123", submission),
        (b"0001111111-24-000042", xml),
        (b"0009999999-24-000777", stdin_filing),
    }


async def test_a_path_that_does_not_exist_sends_nothing(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> None:
    (raw_topic,) = await kafka_topics("raw")
    (tmp_path / "a.xml").write_bytes((FIXTURES / "form4_rich.xml").read_bytes())
    env = env_of(kafka_bootstrap, raw_topic, tmp_path / "data")
    done = subprocess.run(
        push_argv(tmp_path / "a.xml", tmp_path / "gone.xml"),
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert b"no such file or directory" in done.stderr and b"gone.xml" in done.stderr
    assert await values_on(kafka_bootstrap, raw_topic) == Counter()


async def test_a_thousand_files_with_the_default_flags_on_a_terminal_and_not(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path, generated: Path
) -> None:
    """The default progress bar (shown on a terminal only) never stops a push; every file arrives once."""
    piped_topic, tty_topic = await kafka_topics("raw", "raw")
    expected = Counter(p.read_bytes() for p in generated.iterdir())
    assert sum(expected.values()) == GENERATED

    piped = subprocess.run(
        push_argv(generated),
        env=env_of(kafka_bootstrap, piped_topic, tmp_path / "data"),
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    assert (piped.returncode, last_line(piped.stdout)) == (0, f"sent {GENERATED}, skipped 0, failed 0"), (
        piped.stderr.decode()
    )
    assert b"pushing" not in piped.stderr  # no bar into a pipe

    # script(1) gives the command a pseudo-terminal for stdin, stdout and stderr; -e passes its exit status.
    command = shlex.join(push_argv(generated))
    on_tty = subprocess.run(
        ["script", "-q", "-e", "-c", command, "/dev/null"],
        env=env_of(kafka_bootstrap, tty_topic, tmp_path / "data"),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )
    assert on_tty.returncode == 0, on_tty.stdout.decode(errors="replace")[-2000:]
    assert b"pushing" in on_tty.stdout  # the bar was drawn on the terminal
    assert last_line(on_tty.stdout) == f"sent {GENERATED}, skipped 0, failed 0"

    assert await values_on(kafka_bootstrap, piped_topic) == expected
    assert await values_on(kafka_bootstrap, tty_topic) == expected


async def test_a_100_mb_file_fails_alone_and_the_rest_is_sent(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path, generated: Path
) -> None:
    (raw_topic,) = await kafka_topics("raw")
    folder = tmp_path / "in"
    folder.mkdir()
    valid = sorted(generated.iterdir())[:20]
    for p in valid:
        (folder / p.name).write_bytes(p.read_bytes())
    huge = folder / "000010_huge.xml"  # sorts among the valid ones
    with huge.open("wb") as f:  # sparse: 100 MB on paper, nothing on disk
        f.truncate(100 * 1024 * 1024)
    done = subprocess.run(
        push_argv(folder),
        env=env_of(kafka_bootstrap, raw_topic, tmp_path / "data"),
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    assert (done.returncode, last_line(done.stdout)) == (1, "sent 20, skipped 0, failed 1"), (
        done.stderr.decode()
    )
    assert f"{huge}: too_large (104857600 bytes".encode() in done.stderr
    assert await values_on(kafka_bootstrap, raw_topic) == Counter(p.read_bytes() for p in valid)


async def test_resume_after_an_interrupted_push_sends_each_file_once(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path, generated: Path
) -> None:
    """Ctrl-C while the push waits on a pipe; ``--resume`` then sends exactly what was not acknowledged.

    The push is interrupted at a known point without any timing: it blocks opening a FIFO named on the
    command line until this test opens the other end, which it does only after sending SIGINT.
    """
    (raw_topic,) = await kafka_topics("raw")
    files = sorted(generated.iterdir())
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, chunk in ((first, files[:100]), (second, files[100:])):
        folder.mkdir()
        for p in chunk:
            (folder / p.name).write_bytes(p.read_bytes())
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    piped_filing = (FIXTURES / "form4_rich.xml").read_bytes()
    env = env_of(kafka_bootstrap, raw_topic, tmp_path / "data")

    proc = subprocess.Popen(
        push_argv(first, fifo, second), env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while True:  # ENXIO until the push has the FIFO open for reading
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    os.write(writer, piped_filing)
    os.close(writer)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted; run again with --resume" in err
    sent_first = int(last_line(out).split()[1].rstrip(","))
    assert 100 < sent_first < len(files) + 1  # stopped part-way, after the FIFO

    resumed = subprocess.run(
        push_argv("--resume", first, second), env=env, cwd=REPO, capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    # Everything the first run sent is skipped (the FIFO's filing was not a file to remember), the rest sent.
    assert (
        last_line(resumed.stdout)
        == f"sent {len(files) - (sent_first - 1)}, skipped {sent_first - 1}, failed 0"
    )
    assert f"skipped {sent_first - 1} already sent (--resume)".encode() in resumed.stderr
    expected = Counter(p.read_bytes() for p in files) + Counter([piped_filing])
    assert await values_on(kafka_bootstrap, raw_topic) == expected  # each exactly once
