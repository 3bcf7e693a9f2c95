"""Filing identity, whatever the format: the accession number when one can be found, else a
fingerprint of the content that every format of one filing shares.

A bare ownership XML carries no accession number, EDGAR's HTML page carries it only in a link, text
renderings carry neither it nor any CIK. The fingerprint is therefore built only from what every
format reads the same (see ``tests/unit/parsers/test_cross_format.py``): form type, issuer ticker and
name, owners' names, period of report, original submission date and every row's values. It is not a
hash of the bytes, so a trailing newline, CRLF line endings or a BOM do not make a second filing.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from parsers.models import Filing, Row

ACCESSION_RE: Final = re.compile(r"^\d{10}-\d{2}-\d{6}$")
"""The dashed form every ``accession_number`` has: ``0001127602-15-028697``."""

_ACCESSION_LOOSE: Final = re.compile(r"^(\d{10})-?(\d{2})-?(\d{6})$")
# As ``streams.adapters.producer.accession_of`` reads file names, so replay and push agree on ids.
_ACCESSION_IN_NAME: Final = re.compile(r"(\d{10})-?(\d{2})-?(\d{6})")
_NON_WORD: Final = re.compile(r"[^0-9a-z]+")

# Row fields every format reads (dates, codes, amounts, A/D, D/I, titles): a text rendering drops
# CIKs, footnote ids and the transaction form type, none of which are here.
_ROW_FIELDS: Final = (
    "table",
    "is_holding",
    "security_title",
    "transaction_date",
    "deemed_execution_date",
    "transaction_code",
    "equity_swap",
    "price_per_share",
    "acquired_disposed",
    "direct_indirect",
    "nature_of_ownership",
    "conversion_or_exercise_price",
    "exercise_date",
    "expiration_date",
    "underlying_security_title",
)
# A rendering shows an amount without saying whether it is shares or a value (a note's principal):
# each pair counts as one amount, whichever field a parser put it in.
_AMOUNT_PAIRS: Final = (
    ("shares", "total_value"),
    ("shares_owned_following", "value_owned_following"),
    ("underlying_shares", "underlying_value"),
)


def normal_accession(value: str | None) -> str | None:
    """``0001127602-15-028697`` from that form or the 18 bare digits; ``None`` for anything else."""
    if not value:
        return None
    found = _ACCESSION_LOOSE.match(value.strip())
    return "-".join(found.groups()) if found else None


def accession_in_name(name: str | None) -> str | None:
    """The accession number in the last part of a file's path (``0001127602-15-028697.txt``), the
    way ``form4 push`` keys its messages; a folder named after one is not read."""
    if not name:
        return None
    found = _ACCESSION_IN_NAME.search(name.replace("\\", "/").rsplit("/", 1)[-1])
    return "-".join(found.groups()) if found else None


# Titles, natures and names repeat across a filing's rows and an insider's filings. 8,192 recent texts
# keep 98% of the hits of 65,536, which held 5.4 MiB of texts after a 100k-position backfill (issue 12).
@lru_cache(maxsize=8192)
def normal_text(value: str | None) -> str:
    """Case, accents, punctuation and spacing removed: ``"Common-Stock,  CL A"`` -> ``common stock cl a``."""
    if not value:
        return ""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().casefold()
    return " ".join(_NON_WORD.sub(" ", plain).split())


def normal_name(value: str | None) -> str:
    """A person's or entity's name whatever its word order, case, punctuation or middle initials.

    EDGAR's XML writes ``Brin Sergey``, a press release ``Sergey Brin``, a form ``BRIN SERGEY M.``:
    the words, sorted, without one-letter initials.
    """
    words = [w for w in normal_text(value).split() if len(w) > 1]
    return " ".join(sorted(words))


def _value(value: object) -> str | bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        # 16670, 16670.00 and 1.667E+4 are one amount.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return normal_text(str(value))


def _row(row: Row) -> list[str | bool | None]:
    amounts = [
        _value(next((v for f in pair if (v := getattr(row, f)) is not None), None)) for pair in _AMOUNT_PAIRS
    ]
    return [_value(getattr(row, name)) for name in _ROW_FIELDS] + amounts


def fingerprint(filing: Filing) -> str:
    """SHA-256 (hex) of the content every format of ``filing`` carries; pure and deterministic.

    Rows and owners are sorted, so the order a renderer lays them out in does not matter either.
    """
    canonical = {
        "form_type": filing.form_type,
        "issuer": [(filing.issuer.ticker or "").upper(), normal_name(filing.issuer.name)],
        "owners": sorted(normal_name(o.name) for o in filing.owners),
        "period": _value(filing.period_of_report),
        "original": _value(filing.date_of_original_submission),
        "rows": sorted((_row(r) for r in filing.rows), key=lambda r: json.dumps(r)),
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


def copy_rank(accession: str | None, issuer_cik: str | None, filed: date | None = None) -> int:
    """How good a copy of a filing is: its accession number first, then its CIKs, then its filing date.

    When two formats of one filing arrive, the ledger keeps the better copy whatever the arrival
    order (a text rendering first, then the XML: the XML's CIK-keyed positions win; a bare XML named by
    its accession number first, then its complete submission: the submission's filing time orders
    same-day rows, so the state must not keep the undated copy because it came first).
    """
    return (4 if accession else 0) + (2 if issuer_cik else 0) + (1 if filed else 0)


__all__ = [
    "ACCESSION_RE",
    "accession_in_name",
    "copy_rank",
    "fingerprint",
    "normal_accession",
    "normal_name",
    "normal_text",
]
