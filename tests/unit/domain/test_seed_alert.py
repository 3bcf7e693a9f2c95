"""The seed filing (Qualys, 2013) through parser and ledger: the alert a user would expect."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from parsers import parse, to_events
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import to_parsed

SEED = "seed/004_20df6d6f311adac3.txt"


def test_seed_raises_one_low_severity_liquidation(corpus: Path) -> None:
    """Selling all 10,000 exercised shares ($225,307) is a liquidation, low: 10b5-1 and exercise-and-sell.

    The holding before the sale is the 10,000 shares just acquired by exercise (M), so 100% of it was
    sold: a liquidation above $100,000. The trades were under a 10b5-1 plan (footnote 1) and the
    shares came from a same-day option exercise, so the severity drops two steps from 'high' to
    'low'. It is not a large_sale ($225k < $1M) and not also a large_fraction_sold (subsumed).
    """
    filing = parse((corpus / SEED).read_bytes())
    outcome = Ledger(Stores(), Settings()).apply_now(to_parsed(filing, to_events(filing)))
    assert [(a.rule, a.severity) for a in outcome.alerts] == [("liquidation", "low")]
    alert = outcome.alerts[0]
    assert alert.ticker == "QLYS"
    assert alert.plan_10b5_1 is True
    assert alert.figures.value_usd == Decimal("225307.0000")
    assert alert.figures.holding_before == Decimal(10000)
    assert alert.figures.holding_after == Decimal(0)
    assert alert.owners[0].role == "VP, OPERATIONS"
