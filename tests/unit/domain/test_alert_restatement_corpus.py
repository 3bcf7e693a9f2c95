"""An alert can be retracted and raised again as filings arrive; consumers fold its records by id.

Real GOOG filings (``FORM4_CORPUS``): Sergey Brin's Form 4 of 2022 (0001209191-22-024550: 2,710
Class A shares sold in six lots on 2022-04-13 at weighted prices, $7,046,878.493) and of 2015
(0001127602-15-028697: 16,670 shares for $10,745,623, filed under Google Inc., CIK 0001288776, before
Alphabet). Their plain-text renderings carry no CIKs, so both
are keyed by ticker (``ticker:GOOG``) and share one insider history; the 2015 page has the CIKs.
This order of arrival was found by a shuffled run of the whole corpus (CI, stop 15).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from streams.config.settings import Settings
from streams.domain.offline import canonical_order, replay
from tests.support.alerts import histories, repeats, standing_ids
from tests.support.corpus import require_corpus

_GOOG = "DarkMindFX__InsidersTradeMonitor__Docs__Sample_Reportings__SEC__Form4__GOOG__"
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def _inputs(root: Path) -> list[tuple[str, bytes]]:
    names = [
        ("text", "000120919122024550__SEC_FORM_4.pandoc.txt"),  # 2022, no CIKs: ticker:GOOG
        ("text", "000112760215028697__SEC_FORM_4.pandoc.txt"),  # 2015, no CIKs: ticker:GOOG
        ("html", "000112760215028697__SEC_FORM_4.html"),  # 2015 again, with Google Inc.'s CIK
    ]
    return [(str(p), p.read_bytes()) for d, n in names if (p := root / d / (_GOOG + n))]


def test_history_from_a_text_copy_restates_an_alert_and_its_better_copy_takes_it_back() -> None:
    run = replay(_inputs(require_corpus()), SETTINGS)
    records = [a.model_dump(mode="json") for a in run.alerts]
    brin_2022 = [a for a in run.alerts if a.figures.shares == 2710]
    # 400 x $2,598.325 + 1,010 x $2,599.5213 + 500 x $2,600.452 + 600 x $2,601.6983
    # + 100 x $2,603.14 + 100 x $2,604.73
    assert {a.figures.value_usd for a in brin_2022} == {Decimal("7046878.493")}
    first, restated = (
        brin_2022[0].alert_id,
        next(a.alert_id for a in brin_2022 if a.trader == "opportunistic"),
    )
    # Alone, 2022 is Brin's whole history (trader unknown). The 2015 text copy joins the same ticker-keyed
    # history, seven years deep: the alert is restated (opportunistic) under a new id. The 2015 page is the
    # better copy: it moves 2015 to Google Inc.'s CIK, out of that history, and the first alert stands again.
    assert histories(records)[first] == ["alert_raised", "alert_retracted", "alert_raised"]
    assert histories(records)[restated] == ["alert_raised", "alert_retracted"]
    assert not repeats(records)
    assert brin_2022[-1].alert_id == first and brin_2022[-1].trader == "unknown"
    # Folded in order, the records leave what the ledger holds, and what any other order leaves.
    assert standing_ids(records) == run.active_alert_ids
    assert (
        run.active_alert_ids == replay(canonical_order(_inputs(require_corpus())), SETTINGS).active_alert_ids
    )


def test_one_alerts_records_share_its_key() -> None:
    run = replay(_inputs(require_corpus()), SETTINGS)
    for alert in run.alerts:
        assert alert.subject == (alert.retracts if alert.kind == "alert_retracted" else alert.alert_id)
