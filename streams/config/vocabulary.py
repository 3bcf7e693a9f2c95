"""The alert vocabulary shared by the configuration (webhook filters) and the domain (rules)."""

from __future__ import annotations

from typing import Literal

Rule = Literal[
    "large_sale",
    "large_fraction_sold",
    "liquidation",
    "cluster_selling",
    # Issue 11: purchases and late filings.
    "large_purchase",
    "cluster_buying",
    "first_purchase",
    "late_filing",
]
Trader = Literal["routine", "opportunistic", "unknown"]
"""Cohen, Malloy and Pomorski (2012): routine traders traded in the same month in each prior year."""
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")

__all__ = ["SEVERITIES", "Rule", "Severity", "Trader"]
