"""EDGAR's latest-filings Atom feed (``browse-edgar?action=getcurrent&output=atom``).

Each entry is one filer of one filing: a Form 4 with a reporting owner and an issuer appears twice,
once per CIK. ``type=4`` is a prefix match (it also lists 424B2 prospectuses), so entries are
filtered to the ownership forms here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from lxml import etree

OWNERSHIP_FORMS = frozenset({"3", "3/A", "4", "4/A", "5", "5/A"})
FEED_TYPES = ("3", "4", "5")
"""Feed queries per poll: one per form family (each also lists its amendments)."""

_ATOM = "{http://www.w3.org/2005/Atom}"
_ACCESSION = re.compile(r"(\d{10}-\d{2}-\d{6})")
_ACCESSION_PLAIN = re.compile(r"/(\d{10})(\d{2})(\d{6})(?:/|-index)")
_CIK_IN_URL = re.compile(r"/edgar/data/(\d+)/")


@dataclass(frozen=True)
class FeedEntry:
    """One ownership filing listed in the feed."""

    accession: str
    form_type: str
    index_url: str
    updated: datetime | None
    cik: str | None
    """The filer CIK from the index URL: any of a filing's CIKs locates its archive folder."""


def feed_url(base_url: str, form_type: str, start: int = 0, count: int = 100) -> str:
    """The Atom feed URL of the latest filings of one form family."""
    query = urlencode(
        {
            "action": "getcurrent",
            "type": form_type,
            "company": "",
            "dateb": "",
            "owner": "include",
            "start": start,
            "count": count,
            "output": "atom",
        }
    )
    return f"{base_url.rstrip('/')}/cgi-bin/browse-edgar?{query}"


def _accession(entry: etree._Element, link: str) -> str | None:
    # The id is "urn:tag:sec.gov,2008:accession-number=0001234567-24-000123"; the summary and the
    # link carry it too, so any one of them is enough.
    for text in (entry.findtext(f"{_ATOM}id"), entry.findtext(f"{_ATOM}summary"), link):
        found = _ACCESSION.search(text or "")
        if found:
            return found.group(1)
    plain = _ACCESSION_PLAIN.search(link)
    return "-".join(plain.groups()) if plain else None


def _form_type(entry: etree._Element) -> str:
    category = entry.find(f"{_ATOM}category")
    if category is not None and category.get("term"):
        return category.get("term", "").strip()
    # Title: "4 - Smith John (0001234567) (Reporting)"
    return (entry.findtext(f"{_ATOM}title") or "").split(" - ", 1)[0].strip()


def _updated(entry: etree._Element) -> datetime | None:
    text = (entry.findtext(f"{_ATOM}updated") or "").strip()
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class FeedPage:
    """One page of the feed: its ownership entries and how many entries it listed in all."""

    entries: list[FeedEntry]
    listed: int


def parse_feed(content: bytes) -> FeedPage:
    """Ownership-form entries of an Atom feed page, one per accession, in feed order (newest first).

    Raises:
        ValueError: the page is not XML (EDGAR answers errors and throttling with HTML).
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not an Atom feed: {exc}") from None
    out: list[FeedEntry] = []
    seen: set[str] = set()
    listed = 0
    for entry in root.iter(f"{_ATOM}entry"):
        listed += 1
        form = _form_type(entry)
        if form not in OWNERSHIP_FORMS:
            continue
        link_el = entry.find(f"{_ATOM}link")
        link = link_el.get("href", "") if link_el is not None else ""
        accession = _accession(entry, link)
        if accession is None or accession in seen:
            continue
        seen.add(accession)
        cik = _CIK_IN_URL.search(link)
        out.append(
            FeedEntry(
                accession=accession,
                form_type=form,
                index_url=link,
                updated=_updated(entry),
                cik=cik.group(1) if cik else None,
            )
        )
    return FeedPage(entries=out, listed=listed)
