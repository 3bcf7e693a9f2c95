"""One filing in two formats through the live worker (issue 9): one set of events, shares counted once,
and the same positions and standing alerts as ``form4 replay`` computes offline.

TXG's Form 4 0001610717-23-000035 is pushed as a bare XML (no accession number: a fingerprint id) and as
its complete submission; GOOG's 2015 Form 4 as its XML (keyed by the accession in its file name, as
``form4 push`` does) and as EDGAR's HTML page (whose saved URL names it), then both again. And 1,000
synthetic filings as bare XML keyed by their accession numbers, then as their complete submissions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from streams.adapters.producer import accession_of
from streams.domain.offline import replay
from streams.domain.views import public_position
from synthetic.generator import generate
from synthetic.render_submission import render_submission
from synthetic.render_xml import render_xml
from tests.support.alerts import repeats, standing_ids
from tests.support.worker import WorkerProcess

AS_OF = date(2023, 5, 20)
GOOG = "DarkMindFX__InsidersTradeMonitor__Docs__Sample_Reportings__SEC__Form4__GOOG__000112760215028697"
FILES = (
    "xml/krymer15__edgar-app__tests__fixtures__sampleform4.xml",
    "submission/krymer15__edgar-app__tests__fixtures__0001610717-23-000035.txt",
    f"xml/{GOOG}__form4.xml",
    f"html/{GOOG}__SEC_FORM_4.html",
)


@pytest.fixture()
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path, partitions=2)
    yield w
    w.stop()


async def test_one_filing_in_two_formats_is_applied_once_by_the_live_worker(
    worker: WorkerProcess, corpus: Path
) -> None:
    paths = [corpus / f for f in FILES]
    keyed = []
    for path in paths:
        raw = path.read_bytes()
        key = accession_of(raw, path.name)
        keyed.append((key.encode() if key else None, raw))
    worker.start()
    await worker.push(keyed)
    await worker.push(list(reversed(keyed)))
    await worker.drained()

    events = await worker.records(worker.settings.topic_transactions)
    assert len(events) == len({e["event_id"] for e in events}), "events emitted twice"
    txg = [e for e in events if e["issuer"]["ticker"] == "TXG"]  # type: ignore[index]
    goog = [e for e in events if e["issuer"]["ticker"] == "GOOG"]  # type: ignore[index]
    assert len(txg) == 3 and len({e["filing_id"] for e in txg}) == 1, "one set of TXG events"
    assert len(goog) == 20 and {e["filing_id"] for e in goog} == {"0001127602-15-028697"}
    sales = [Decimal(str(e["shares"])) for e in txg if e["transaction_code"] == "S"]
    assert sales == [Decimal("33000")]

    live = worker.positions(AS_OF)
    class_a = next(
        p
        for p in live.values()
        if p["security_title"] == "Class A Common Stock" and p["issuer"]["ticker"] == "TXG"  # type: ignore[index]
    )
    assert class_a["shares"] == "169745"
    offline = replay(((str(p), p.read_bytes()) for p in paths), worker.settings)
    served = {k: public_position(k, p, AS_OF) for k, p in offline.stores.positions.items()}
    assert live == orjson.loads(orjson.dumps(served))

    alerts = await worker.records(worker.settings.topic_alerts)
    assert not repeats(alerts), "an alert raised twice in a row, or retracted when not standing"
    assert not [a for a in alerts if a["rule"] == "large_fraction_sold"], "TXG sold 16.3%, not 32.55%"
    assert standing_ids(alerts) == offline.active_alert_ids


async def test_keyed_xml_first_then_the_submissions_end_as_the_submissions_alone(
    worker: WorkerProcess,
) -> None:
    """A folder of ``<accession>.xml`` pushed before the complete submissions of the same filings: the
    XML carries no filing date or time, which orders one day's rows of a position, so the worker must
    take each submission as the better copy (seed 7: without that, 29 of 549 positions end otherwise, 7
    of them in shares) and end with the positions an offline replay of the submissions alone gives."""
    filings = list(generate(7, 1000))
    xmls = [(f.accession_number.encode(), render_xml(f)) for f in filings]
    submissions = [(f.accession_number.encode(), render_submission(f)) for f in filings]
    worker.start()
    await worker.push(xmls)
    await worker.drained()
    await worker.push(submissions)
    await worker.drained()

    events = await worker.records(worker.settings.topic_transactions)
    assert len(events) == len({e["event_id"] for e in events}) == sum(len(f.rows) for f in filings)
    offline = replay(((f"{k.decode()}.txt", raw) for k, raw in submissions), worker.settings)
    served = {k: public_position(k, p, AS_OF) for k, p in offline.stores.positions.items()}
    live = worker.positions(AS_OF)
    assert len(live) == len(served) > 500
    assert live == orjson.loads(orjson.dumps(served))
    alerts = await worker.records(worker.settings.topic_alerts)
    assert not repeats(alerts), "the XML's alerts raised again by their submissions"
    assert standing_ids(alerts) == offline.active_alert_ids
    # Only the submissions can tell a filing was late (a bare XML has no filing date): 44 of these.
    late = {a["alert_id"] for a in alerts if a["rule"] == "late_filing" and a["kind"] == "alert_raised"}
    assert len(late & standing_ids(alerts)) == 44
