"""Natural keys of the state: issuers, owners, positions and amendment groups.

Every key is a pure function of a ``form4.transaction/1`` event, so a filing redelivered, re-pushed
or replayed in another order lands on exactly the same keys.
"""

from __future__ import annotations

import hashlib
import re

from parsers.events import EventOwner, TransactionEvent

_SPACES = re.compile(r"\s+")


def issuer_key(event: TransactionEvent) -> str:
    """The issuer CIK; renderings without a CIK fall back to the ticker, then the name."""
    issuer = event.issuer
    if issuer.cik:
        return issuer.cik
    if issuer.ticker:
        return f"ticker:{issuer.ticker}"
    return f"name:{normalise(issuer.name or 'unknown')}"


def owner_key(owner: EventOwner) -> str:
    return owner.cik or f"name:{normalise(owner.name)}"


def seller_key(event: TransactionEvent) -> str:
    """Joint filers report the same shares: together they are one seller, not several."""
    return "+".join(sorted(owner_key(o) for o in event.owners))


def security_key(event: TransactionEvent) -> str:
    title = normalise(event.security_title or "unknown")
    if event.table == "derivative" and event.conversion_or_exercise_price is not None:
        # Options with different strikes are different securities.
        return f"{title}@{event.conversion_or_exercise_price.normalize():f}"
    return title


def ownership_key(event: TransactionEvent) -> str:
    if event.direct_indirect == "I":
        return f"I:{normalise(event.nature_of_ownership or '')}"
    return "D"


def position_keys(event: TransactionEvent) -> list[str]:
    """One position per reporting owner: each joint filer beneficially owns the reported shares."""
    base = f"{security_key(event)}|{ownership_key(event)}"
    return [f"{issuer_key(event)}|{owner_key(o)}|{base}" for o in event.owners]


def group_key(event: TransactionEvent) -> str:
    """Amendment group: issuer, owners and period of report (the SEC gives no link to the original)."""
    period = event.period_of_report.isoformat() if event.period_of_report else "-"
    return f"{issuer_key(event)}|{seller_key(event)}|{period}"


def stable_id(*parts: str) -> str:
    """A short, stable id from its parts (alert ids)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def normalise(text: str) -> str:
    """Lower case, single spaces: titles and names as keys."""
    return _SPACES.sub(" ", text.strip()).lower()
