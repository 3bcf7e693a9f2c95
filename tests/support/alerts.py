"""Reading ``form4.alerts`` as a consumer does: fold each alert's records, in order, into whether it stands.

An alert's records share its key (``Alert.subject``), so one partition holds them in order; an alert may
be raised, retracted and raised again as filings arrive. Topic records are read in partition order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def _subject(record: Mapping[str, object]) -> str:
    return str(record["retracts"] if record["kind"] == "alert_retracted" else record["alert_id"])


def histories(records: Iterable[Mapping[str, object]]) -> dict[str, list[str]]:
    """Alert id -> the kinds of its records, in topic order."""
    out: dict[str, list[str]] = {}
    for record in records:
        out.setdefault(_subject(record), []).append(str(record["kind"]))
    return out


def standing_ids(records: Iterable[Mapping[str, object]]) -> set[str]:
    """The ids whose last record is a raise: the alerts that stand."""
    return {aid for aid, kinds in histories(records).items() if kinds[-1] == "alert_raised"}


def repeats(records: Iterable[Mapping[str, object]]) -> dict[str, list[str]]:
    """The alerts whose records do not alternate raise, retract, raise...: without a crash, an alert
    is never raised twice in a row, nor retracted when it does not stand."""
    bad = {}
    for aid, kinds in histories(records).items():
        expected = ["alert_raised" if i % 2 == 0 else "alert_retracted" for i in range(len(kinds))]
        if kinds != expected:
            bad[aid] = kinds
    return bad


__all__ = ["histories", "repeats", "standing_ids"]
