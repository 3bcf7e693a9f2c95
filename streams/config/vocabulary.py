"""The alert vocabulary shared by the configuration (webhook filters) and the domain (rules)."""

from __future__ import annotations

from typing import Literal

Rule = Literal["large_sale", "large_fraction_sold", "liquidation", "cluster_selling"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")

__all__ = ["SEVERITIES", "Rule", "Severity"]
