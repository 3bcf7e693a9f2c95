"""Amendments as they are really filed (issue 10), on real EDGAR filings edited into amendments here.

The corpus (``FORM4_CORPUS``) is read, never copied: each test edits the bytes of a real filing the
way real 4/As are written (a corrected price, a corrected date, a continuation split, an original
rebuilt from its amendment) and applies them to the ledger in filing order and out of it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from itertools import permutations

from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.domain.records import Alert, ParsedFiling
from tests.support.corpus import require_corpus

SETTINGS = Settings()
NOW = datetime(2025, 1, 1, tzinfo=UTC)
TXG = "submission/krymer15__edgar-app__tests__fixtures__0001610717-23-000035.txt"
TXG_ACC = "0001610717-23-000035"
DOCS = "xml/tLordJoe__intelligence-trade__tests__fixtures__form4__documents__"
AMD = f"{DOCS}0000002488-17-000078_wf-form4a_149342068554051.xml"
VRT = f"{DOCS}0000899243-21-043640_doc4a.xml"
AVGO = f"{DOCS}0001730168-25-000104_wk-form4a_1757982812.xml"


def _raw(name: str) -> str:
    return (require_corpus() / name).read_text(encoding="utf-8")


def _edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _parse(text: str, accession: str | None = None) -> ParsedFiling:
    return parsed_filing(text.encode(), SETTINGS, accession)


def _txg_amendment(text: str, accession: str, *edits: tuple[str, str], remarks: str | None = None) -> str:
    """TXG's Form 4 (accepted 2023-05-15) as a 4/A filed 2023-05-18 under ``accession``."""
    out = _edit(
        text,
        (f"ACCESSION NUMBER:\t\t{TXG_ACC}", f"ACCESSION NUMBER:\t\t{accession}"),
        ("CONFORMED SUBMISSION TYPE:\t4", "CONFORMED SUBMISSION TYPE:\t4/A"),
        ("<TYPE>4", "<TYPE>4/A"),
        ("<ACCEPTANCE-DATETIME>20230515163741", "<ACCEPTANCE-DATETIME>20230518101500"),
        ("FILED AS OF DATE:\t\t20230515", "FILED AS OF DATE:\t\t20230518"),
        ("<documentType>4</documentType>", "<documentType>4/A</documentType>"),
        (
            "<periodOfReport>2023-05-11</periodOfReport>",
            "<periodOfReport>2023-05-11</periodOfReport>\n<dateOfOriginalSubmission>2023-05-15"
            "</dateOfOriginalSubmission>",
        ),
        *edits,
    )
    if remarks:
        out = _edit(out, ("    <ownerSignature>", f"    <remarks>{remarks}</remarks>\n    <ownerSignature>"))
    return out


def _drop(text: str, start: str, end: str, nth: int = 0) -> str:
    """``text`` without its ``nth`` element from ``start`` to ``end`` (a row, a table)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(start, at + 1)
    return text[:at] + text[text.index(end, at) + len(end) :]


def _run(filings: list[ParsedFiling]) -> tuple[Ledger, list[Alert]]:
    ledger = Ledger(Stores(), SETTINGS)
    alerts: list[Alert] = []
    for pf in filings:
        alerts += ledger.apply_now(pf, NOW).alerts
    return ledger, alerts


def _standing(ledger: Ledger) -> dict[str, Alert]:
    return {aid: a.record for aid, a in ledger.s.alerts.items() if a.active}


def _same_in_any_order(filings: list[ParsedFiling]) -> Ledger:
    """Every arrival order ends in the positions and standing alerts of filing order."""
    first, _ = _run(filings)
    for order in permutations(filings):
        other, _ = _run(list(order))
        assert other.s.positions == first.s.positions, [pf.filing_id for pf in order]
        assert set(_standing(other)) == set(_standing(first)), [pf.filing_id for pf in order]
    return first


def _sale_price(text: str, new: str) -> tuple[str, str]:
    assert "<value>52.8208</value>" in text
    return ("<value>52.8208</value>", f"<value>{new}</value>")


def test_partial_amendment_replaces_the_sale_row_and_keeps_the_exercise() -> None:
    """TXG: a director exercised 200,000 options at $1.16 and sold 33,000 shares at $52.8208 on
    2023-05-11. A 4/A restating only Table I's sale line at a corrected $53.10 replaces that line:
    the exercise lines and the option position stand, so the sale stays an exercise-and-sell (high,
    not critical), and the old alert's retraction names the amendment."""
    text = _raw(TXG)
    original = _parse(text)
    body = _drop(text, "<derivativeTable>", "</derivativeTable>")
    body = _drop(body, "<nonDerivativeTransaction>", "</nonDerivativeTransaction>")  # the M line
    amendment = _parse(_txg_amendment(body, "0001610717-23-000041", _sale_price(body, "53.10")))
    assert [(e.table, e.transaction_code) for e in amendment.events] == [("non_derivative", "S")]

    ledger, alerts = _run([original, amendment])
    first, retraction, restated = alerts
    assert (first.rule, first.severity) == ("large_sale", "high")
    assert retraction.retracts == first.alert_id and retraction.retracted_by == "0001610717-23-000041"
    assert (restated.rule, restated.severity) == ("large_sale", "high")
    assert restated.figures.value_usd == Decimal("33000") * Decimal("53.10")
    option = next(p for p in ledger.s.positions.values() if p.table == "derivative")
    assert option.summary.shares == 0 and len(option.rows) == 1  # the exercise line stands
    common = next(p for p in ledger.s.positions.values() if p.table == "non_derivative")
    assert [r.code for r in common.rows] == ["M", "S"]
    assert common.summary.shares == Decimal(169745)
    assert ledger.s.filings[TXG_ACC].status == "active"
    _same_in_any_order([original, amendment])


def _continuation(text: str) -> tuple[ParsedFiling, ParsedFiling]:
    """TXG's report as "Filing 1 of 2" (Table I) and "Filing 2 of 2" (Table II), filed together."""
    one = _drop(text, "<derivativeTable>", "</derivativeTable>")
    two = _edit(
        _drop(text, "<nonDerivativeTable>", "</nonDerivativeTable>"),
        (f"ACCESSION NUMBER:\t\t{TXG_ACC}", "ACCESSION NUMBER:\t\t0001610717-23-000036"),
    )
    remark = "    <remarks>Filing {} of 2</remarks>\n    <ownerSignature>"
    one = _edit(one, ("    <ownerSignature>", remark.format(1)))
    two = _edit(two, ("    <ownerSignature>", remark.format(2)))
    return _parse(one), _parse(two)


def test_amendment_of_filing_1_of_2_leaves_filing_2_standing() -> None:
    """A 4/A of "Filing 1 of 2" (Table I restated, the sale at a corrected price) amends filing 1 only,
    whether it names its accession number or is matched by the lines it restates: the option
    exercise reported in filing 2 stands."""
    one, two = _continuation(_raw(TXG))
    body = _edit(_drop(_raw(TXG), "<derivativeTable>", "</derivativeTable>"), _sale_price(_raw(TXG), "53.10"))
    named = _parse(
        _txg_amendment(
            body, "0001610717-23-000041", remarks=f"Amends Filing 1 of 2, accession no. {TXG_ACC}."
        )
    )
    by_rows = _parse(_txg_amendment(body, "0001610717-23-000042"))
    for amendment in (named, by_rows):
        ledger = _same_in_any_order([one, two, amendment])
        assert ledger.s.filings[amendment.filing_id].base == TXG_ACC
        assert ledger.s.filings["0001610717-23-000036"].status == "active"
        assert ledger.s.filings[TXG_ACC].status == "superseded"
        option = next(p for p in ledger.s.positions.values() if p.table == "derivative")
        assert option.rows[0].filing_id == "0001610717-23-000036"
        (alert,) = _standing(ledger).values()
        assert (alert.rule, alert.severity, alert.amends_unseen_original) == ("large_sale", "high", False)
        assert alert.figures.value_usd == Decimal("33000") * Decimal("53.10")


def test_amendment_of_filing_2_of_2_is_matched_by_the_row_it_restates() -> None:
    """A 4/A restating only the option line of "Filing 2 of 2" (the same day, period and owner as
    filing 1) amends filing 2: filing 1's exercise and sale stand untouched."""
    one, two = _continuation(_raw(TXG))
    body = _drop(_raw(TXG), "<nonDerivativeTable>", "</nonDerivativeTable>")
    amendment = _parse(_txg_amendment(body, "0001610717-23-000043"))
    ledger = _same_in_any_order([one, two, amendment])
    assert ledger.s.filings["0001610717-23-000043"].base == "0001610717-23-000036"
    assert ledger.s.filings[TXG_ACC].live == tuple(e.event_id for e in one.events)


def test_corrected_transaction_date_supersedes_the_original_once() -> None:
    """A 4/A moving TXG's trades from 2023-05-11 to 2023-05-10 (and so the period of report) amends
    the original it names by date: one large sale stands, on the corrected date, in any order."""
    text = _raw(TXG)
    original = _parse(text)
    moved = _txg_amendment(text, "0001610717-23-000044").replace("2023-05-11", "2023-05-10")
    moved = moved.replace("CONFORMED PERIOD OF REPORT:\t20230511", "CONFORMED PERIOD OF REPORT:\t20230510")
    amendment = _parse(moved)
    assert amendment.period_of_report is not None and amendment.period_of_report.isoformat() == "2023-05-10"
    ledger = _same_in_any_order([original, amendment])
    (alert,) = _standing(ledger).values()
    assert alert.rule == "large_sale" and alert.figures.shares == Decimal(33000)
    assert {r.day.isoformat() for p in ledger.s.positions.values() for r in p.rows if r.day} == {"2023-05-10"}
    assert ledger.s.filings[TXG_ACC].status == "superseded"


def test_amendment_adding_a_joint_filer_amends_the_original() -> None:
    """A 4/A that adds a joint filer (the director's trust) still amends the director's Form 4."""
    text = _raw(TXG)
    owner = re.search(r"<reportingOwner>.*?</reportingOwner>", text, re.S)
    assert owner is not None
    trust = owner.group(0).replace("0001421050", "0001999999").replace("Mammen Mathai", "Mammen Family Trust")
    amendment = _parse(
        _txg_amendment(text, "0001610717-23-000045", (owner.group(0), owner.group(0) + "\n" + trust))
    )
    assert len(amendment.events[0].owners) == 2
    ledger = _same_in_any_order([_parse(text), amendment])
    assert ledger.s.filings["0001610717-23-000045"].base == TXG_ACC
    assert len(_standing(ledger)) == 1


def test_amd_4a_restating_one_derivative_row_keeps_the_original_table_i() -> None:
    """AMD's 4/A (0000002488-17-000078) repeats one RSU line with corrected shares (107,843 disposed,
    218,954 left; footnotes F2 and F4 say so). Its original is rebuilt here with the erroneous
    figures and the Table I line of the shares received: the 4/A replaces the RSU line only."""
    amended = _raw(AMD)
    original = _edit(
        amended,
        ("<documentType>4/A</documentType>", "<documentType>4</documentType>"),
        ("<dateOfOriginalSubmission>2017-01-18</dateOfOriginalSubmission>", ""),
        ("<value>107843</value>", "<value>107483</value>"),
        ("<value>107843.0</value>", "<value>107483.0</value>"),
        ("<value>218954</value>", "<value>219314</value>"),
        (
            "<nonDerivativeTable></nonDerivativeTable>",
            "<nonDerivativeTable><nonDerivativeTransaction><securityTitle><value>Common Stock</value>"
            "</securityTitle><transactionDate><value>2017-01-15</value></transactionDate><transactionCoding>"
            "<transactionFormType>4</transactionFormType><transactionCode>M</transactionCode>"
            "<equitySwapInvolved>0</equitySwapInvolved></transactionCoding><transactionAmounts>"
            "<transactionShares><value>107483</value></transactionShares><transactionPricePerShare>"
            "<value>0</value></transactionPricePerShare><transactionAcquiredDisposedCode><value>A</value>"
            "</transactionAcquiredDisposedCode></transactionAmounts><postTransactionAmounts>"
            "<sharesOwnedFollowingTransaction><value>400000</value></sharesOwnedFollowingTransaction>"
            "</postTransactionAmounts><ownershipNature><directOrIndirectOwnership><value>D</value>"
            "</directOrIndirectOwnership></ownershipNature></nonDerivativeTransaction></nonDerivativeTable>",
        ),
    )
    first = _parse(original, "0000002488-17-000011")
    amendment = _parse(amended, "0000002488-17-000078")
    ledger = _same_in_any_order([first, amendment])
    assert ledger.s.filings["0000002488-17-000078"].base == "0000002488-17-000011"
    rsu = next(p for p in ledger.s.positions.values() if p.table == "derivative")
    assert rsu.summary.shares == Decimal(218954)
    assert [r.filing_id for r in rsu.rows] == ["0000002488-17-000078"]
    common = next(p for p in ledger.s.positions.values() if p.table == "non_derivative")
    assert [r.filing_id for r in common.rows] == ["0000002488-17-000011"]


def _vrt_original() -> str:
    """VRT's Form 4 as first filed: the 4/A says it only corrects the signatory's name."""
    return _edit(
        _raw(VRT),
        ("<documentType>4/A</documentType>", "<documentType>4</documentType>"),
        ("<dateOfOriginalSubmission>2021-11-08</dateOfOriginalSubmission>", ""),
        (
            "NOTE:  This Amendment to Form 4 is being filed solely to correct the name of the signatory for "
            "certain of the Reporting Persons. No other changes to the information in the Form 4 as "
            "originally filed have been made.\n",
            "",
        ),
        ("Assistant Secretary of Platinum Equity, LLC", "Assistant Secretary of Platinum Equity LLC"),
    )


def test_vrt_signatory_correction_of_an_unseen_original_is_flagged_then_replaced() -> None:
    """VRT's 4/A "filed solely to correct the name of the signatory": alone, its $544M sale raises
    alerts flagged ``amends_unseen_original``, one step lower and saying so. When the original
    arrives, they are replaced by the original's (retractions naming it), and the state equals
    filing order, where the 4/A confirms the alerts unchanged and raises or retracts nothing."""
    amendment = _parse(_raw(VRT), "0000899243-21-043640")
    original = _parse(_vrt_original(), "0000899243-21-043500")
    _, orphan_alerts = _run([amendment])
    assert orphan_alerts and all(a.amends_unseen_original for a in orphan_alerts)
    sale = next(a for a in orphan_alerts if a.rule == "large_sale")
    assert sale.severity == "high"  # high, +1 for directors, -1 for the unseen original
    assert "original filing was not seen" in sale.summary
    in_order, alerts = _run([original])
    assert {a.severity for a in alerts if a.rule == "large_sale"} == {"critical"}
    assert in_order.apply_now(amendment, NOW).alerts == []  # confirmed unchanged
    late, late_alerts = _run([amendment, original])
    retractions = [a for a in late_alerts if a.kind == "alert_retracted"]
    assert {a.retracts for a in retractions} == {a.alert_id for a in orphan_alerts}
    assert {a.retracted_by for a in retractions} == {"0000899243-21-043500"}
    assert set(_standing(late)) == set(_standing(in_order))
    assert not any(a.amends_unseen_original for a in _standing(late).values())
    assert late.s.positions == in_order.s.positions


def test_avgo_amendment_of_an_unseen_original_is_one_step_lower() -> None:
    """AVGO's 4/A (148,514 shares at $336.67 by the President and CEO's trust) without its original:
    holdings applied, the large sale flagged and lowered from critical to high. Its original, rebuilt
    with the broker's transcription error (148,154 shares), then restates it as filed in order."""
    amendment = _parse(_raw(AVGO), "0001730168-25-000104")
    ledger, alerts = _run([amendment])
    (sale,) = [a for a in alerts if a.rule == "large_sale"]
    assert (sale.severity, sale.amends_unseen_original) == ("high", True)
    trust = next(p for p in ledger.s.positions.values() if p.direct_indirect == "I")
    assert trust.summary.shares == Decimal(825638)
    original = _parse(
        _edit(
            _raw(AVGO),
            ("<documentType>4/A</documentType>", "<documentType>4</documentType>"),
            ("<dateOfOriginalSubmission>2025-09-12</dateOfOriginalSubmission>", ""),
            ("<value>148514</value>", "<value>148154</value>"),
            ("<value>825638</value>", "<value>825998</value>"),
        ),
        "0001730168-25-000099",
    )
    final = _same_in_any_order([original, amendment])
    (standing,) = [a for a in _standing(final).values() if a.rule == "large_sale"]
    assert (standing.severity, standing.amends_unseen_original) == ("critical", False)
    assert standing.figures.shares == Decimal(148514)
