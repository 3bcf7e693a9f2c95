"""The same filing in different formats (XML/submission vs. HTML page vs. text renderings) gives the
same transaction events, up to what a rendering cannot carry."""

from __future__ import annotations

import re
from typing import Any

import pytest

from parsers import parse, to_events
from parsers.events import TransactionEvent
from tests.support.corpus import ManifestRow
from tests.unit.parsers._rendered import ids, rendered, source_of

# Not compared:
# - event_id, filing_id, accession_number, source_format, filed_at: identity and provenance, which
#   differ by construction (a rendering has no accession number);
# - derived_fields: renderings flag what they reconstructed;
# - transaction_form_type: EDGAR's page does not show it;
# - issuer.cik and owners[].cik: the text renderings have no links (the HTML page's are checked
#   separately below).
COMPARED_FIELDS: frozenset[str] = frozenset(
    {
        "schema_",
        "form_type",
        "period_of_report",
        "date_of_original_submission",
        "aff10b5_one",
        "issuer",  # name and ticker
        "owners",  # name, relationship flags, officer title
        "table",
        "row",
        "is_holding",
        "security_title",
        "transaction_date",
        "deemed_execution_date",
        "transaction_code",
        "equity_swap",
        "timeliness",
        "shares",
        "total_value",
        "price_per_share",
        "acquired_disposed",
        "shares_owned_following",
        "value_owned_following",
        "direct_indirect",
        "nature_of_ownership",
        "conversion_or_exercise_price",
        "exercise_date",
        "expiration_date",
        "underlying_security_title",
        "underlying_shares",
        "underlying_value",
        "footnotes",  # field -> texts, whitespace-normalised
        "plan_10b5_1",
        "plan_adoption_date",
    }
)
NOT_COMPARED: frozenset[str] = frozenset(
    {
        "event_id",
        "filing_id",
        "accession_number",
        "source_format",
        "filed_at",
        "derived_fields",
        "transaction_form_type",
        # Issue 11: from the filing date, which only a submission's header carries (and from the form
        # type a rendering may not show).
        "filing_date",
        "late",
        "filing_lag_business_days",
        "filing_due_date",
        "plan_cooling_off_breach",
    }  # fmt: skip
)

PAIRS = [r for r in rendered("html") + rendered("text") if source_of(r) is not None]


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _comparable(event: TransactionEvent) -> dict[str, Any]:
    data = event.model_dump()
    out = {k: v for k, v in data.items() if k in COMPARED_FIELDS}
    out["issuer"] = {k: v for k, v in data["issuer"].items() if k != "cik"}
    out["owners"] = [{k: v for k, v in o.items() if k != "cik"} for o in data["owners"]]
    out["footnotes"] = {k: tuple(_ws(t) for t in v) for k, v in data["footnotes"].items()}
    return out


def test_field_sets_cover_the_event() -> None:
    """Prevents a new event field silently escaping the comparison."""
    assert COMPARED_FIELDS | NOT_COMPARED == set(TransactionEvent.model_fields)


@pytest.mark.skipif(not PAIRS, reason="real EDGAR corpus not found")
@pytest.mark.parametrize("row", PAIRS, ids=ids(PAIRS))
def test_same_events_as_the_source(row: ManifestRow) -> None:
    """Prevents a rendering parser disagreeing with the XML parser on any carried field."""
    source = source_of(row)
    assert source is not None
    expected = to_events(parse(source.path.read_bytes()))
    got = to_events(parse(row.path.read_bytes(), hint="html" if row.format == "html" else "text"))
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        assert _comparable(have) == _comparable(want), f"{want.table} row {want.row}"
    if row.format == "html":
        # The HTML page links the issuer and owners to EDGAR, so their CIKs must agree too.
        assert got[0].issuer.cik == expected[0].issuer.cik
        assert [o.cik for o in got[0].owners] == [o.cik for o in expected[0].owners]
