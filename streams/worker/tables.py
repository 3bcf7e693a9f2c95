"""Every table, declared once. Values are JSON-ready dicts (Faust's json codec); keys are strings.

``seen`` is co-partitioned with ``form4.filings.raw``; the ledger tables with
``form4.filings.parsed`` (keyed by issuer), so one issuer's state lives in one partition.
"""

from __future__ import annotations

from streams.config.settings import get_settings
from streams.domain.ledger import Stores
from streams.worker.app import app

_partitions = get_settings().topic_partitions

TABLE_NAMES = ("seen", "filings", "groups", "positions", "sales", "issuer_alerts", "alerts")


def changelog_topics(app_id: str) -> list[str]:
    """Faust's changelog topic names of our tables (``<app id>-<table>-changelog``)."""
    return [f"{app_id}-{name}-changelog" for name in TABLE_NAMES]


def _table(name: str, help: str):  # type: ignore[no-untyped-def]
    return app.Table(name, default=None, partitions=_partitions, key_type=str, help=help)


seen = _table("seen", "filing id -> first raw offset: filings already parsed")
ledger_stores = Stores(
    filings=_table("filings", "filing id -> applied filing (rows, status, amendment group)"),
    groups=_table("groups", "amendment group -> member filings and their alerts"),
    positions=_table("positions", "issuer|owner|security|ownership -> position"),
    sales=_table("sales", "issuer|date -> open-market sales of that day"),
    issuer_alerts=_table("issuer_alerts", "issuer -> cluster alert ids by window start"),
    alerts=_table("alerts", "alert id -> alert record and whether it stands"),
)
