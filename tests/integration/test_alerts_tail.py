"""`form4 alerts tail` against the real broker: filters, dedupe, retractions, start position."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from aiokafka import AIOKafkaProducer

from streams.domain.records import Alert, AlertFigures, AlertOwner
from tests.support.contracts import validate
from tests.support.kafka import TopicFactory


def _alert(alert_id: str, ticker: str, cik: str, severity: str = "critical") -> Alert:
    return Alert(
        alert_id=alert_id,
        rule="large_sale",
        severity=severity,
        issuer_cik=cik,
        issuer_name=f"{ticker} Corp",  # type: ignore[arg-type]
        ticker=ticker,
        owners=(AlertOwner(cik="0001000001", name="Doe Jane", role="CEO"),),
        accession_numbers=("0000950170-24-000101",),
        event_ids=(f"{alert_id}/non_derivative/0",),
        plan_10b5_1=False,
        figures=AlertFigures(shares=Decimal(20000), value_usd=Decimal("2000000.00")),
        summary=f"CEO Doe Jane sold 20,000 shares of {ticker} for $2,000,000 on the open market",
        created_at=datetime(2024, 3, 6, 22, 5, tzinfo=UTC),
    )


def _tail(bootstrap: str, topic: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}
    env |= {"FORM4_KAFKA_BOOTSTRAP": bootstrap, "FORM4_TOPIC_ALERTS": topic}
    return subprocess.run(
        [sys.executable, "-m", "streams", "alerts", "tail", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_tail_filters_dedupes_and_marks_retractions(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    """Tail prints each matching record once (a redelivered copy is skipped, an alert raised again after
    its retraction is shown), retractions marked.

    History only on request.
    """
    (topic,) = await kafka_topics("alerts")
    raised = _alert("a-acme", "ACME", "0001234567")
    retracted = raised.model_copy(
        update={
            "kind": "alert_retracted",
            "alert_id": "a-acme-retracted",
            "retracts": "a-acme",
            "summary": f"RETRACTED: {raised.summary}",
        }
    )
    # Raised again (an amendment restored it): shown, not taken for a repeat of the first raise.
    again = raised.model_copy(update={"created_at": datetime(2024, 3, 9, 15, 0, tzinfo=UTC)})
    other = _alert("a-xyz", "XYZ", "0000000777", severity="medium")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        # The second copy and the last are at-least-once repeats.
        for alert in (raised, raised, other, retracted, again, again):
            await producer.send_and_wait(topic, alert.to_json(), key=alert.issuer_cik.encode())
    finally:
        await producer.stop()

    filtered = _tail(
        kafka_bootstrap,
        topic,
        "--from-beginning",
        "--json",
        "--ticker",
        "acme",
        "--timeout",
        "10",
    )
    assert filtered.returncode == 0, filtered.stderr
    records = [orjson.loads(line) for line in filtered.stdout.splitlines()]
    for record in records:
        validate("alert", record)
    assert [(r["alert_id"], r["kind"], r["created_at"][:10]) for r in records] == [
        ("a-acme", "alert_raised", "2024-03-06"),
        ("a-acme-retracted", "alert_retracted", "2024-03-06"),
        ("a-acme", "alert_raised", "2024-03-09"),
    ]

    readable = _tail(
        kafka_bootstrap,
        topic,
        "--from-beginning",
        "--min-severity",
        "high",
        "--issuer",
        "1234567",
        "--timeout",
        "5",
    )
    assert readable.returncode == 0, readable.stderr
    lines = readable.stdout.splitlines()
    assert len(lines) == 3, readable.stdout
    assert "ALERT" in lines[0] and "CRITICAL" in lines[0] and "large_sale" in lines[0] and "ACME" in lines[0]
    assert "2024-03-06 22:05:00" in lines[0] and raised.summary in lines[0]
    assert lines[1].split()[2] == "RETRACTED" and "RETRACTED:" not in lines[1]

    everything = _tail(kafka_bootstrap, topic, "--from-beginning", "--json", "--timeout", "5")
    assert [orjson.loads(x)["alert_id"] for x in everything.stdout.splitlines()] == [
        "a-acme",
        "a-xyz",
        "a-acme-retracted",
        "a-acme",
    ]
    # Without --from-beginning only new alerts are shown: the history is skipped.
    latest = _tail(kafka_bootstrap, topic, "--json", "--timeout", "3")
    assert latest.returncode == 0 and latest.stdout == "", latest.stdout


def test_tail_reports_a_missing_topic(kafka_bootstrap: str) -> None:
    """A topic that does not exist is a one-line error and exit 2 (configuration), not a traceback."""
    result = _tail(kafka_bootstrap, "form4.no-such-topic.tail", "--timeout", "5")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
