"""EDGAR daily form indexes: ``Archives/edgar/daily-index/YYYY/QTRn/form.YYYYMMDD.idx``.

A fixed-width text file: a preamble, a header line (``Form Type  Company Name  CIK  Date Filed
File Name``), a dashed rule, then one line per filing. Form types may contain spaces (``SC 13D``)
and company names anything, so columns are located from the header and the last three fields are
split from the right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from streams.adapters.edgar.feed import OWNERSHIP_FORMS


@dataclass(frozen=True)
class IndexEntry:
    """One filing line of a daily form index."""

    form_type: str
    company: str
    cik: str
    date_filed: date
    file_name: str
    """Path under ``Archives/``: ``edgar/data/<cik>/<accession>.txt``."""

    @property
    def accession(self) -> str:
        return self.file_name.rsplit("/", 1)[-1].removesuffix(".txt")


def daily_index_path(day: date) -> str:
    """The path (under the EDGAR base URL) of one day's form index."""
    quarter = (day.month - 1) // 3 + 1
    return f"Archives/edgar/daily-index/{day.year}/QTR{quarter}/form.{day:%Y%m%d}.idx"


def _date(text: str) -> date:
    for fmt in ("%Y%m%d", "%Y-%m-%d"):  # older indexes use dashes
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"bad date {text!r}")


def parse_form_index(content: bytes, forms: frozenset[str] = OWNERSHIP_FORMS) -> list[IndexEntry]:
    """The entries of a daily form index whose form type is in ``forms``, in file order.

    Raises:
        ValueError: no header line (not a form index).
    """
    lines = content.decode("latin-1").splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("Form Type")), None)
    if header is None:
        raise ValueError("not an EDGAR form index: no 'Form Type' header line")
    company_col = lines[header].find("Company Name")
    out: list[IndexEntry] = []
    for line in lines[header + 1 :]:
        if not line.strip() or set(line.strip()) == {"-"}:
            continue
        form = line[:company_col].strip()
        if form not in forms:
            continue
        parts = line[company_col:].rsplit(None, 3)
        if len(parts) != 4 or not parts[1].isdigit():
            continue  # a malformed line is skipped, not fatal: the rest of the day is still good
        company, cik, filed, file_name = parts
        try:
            day = _date(filed)
        except ValueError:
            continue
        out.append(
            IndexEntry(form_type=form, company=company.strip(), cik=cik, date_filed=day, file_name=file_name)
        )
    return out


def business_days(start: date, end: date) -> Iterator[date]:
    """Weekdays from ``start`` to ``end`` inclusive (EDGAR publishes no index on weekends)."""
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)
