"""From a listed filing to its bytes: the complete submission text file.

``Archives/edgar/data/<cik>/<accession>.txt`` holds the SGML header (accession number, form type,
filing date) and the ownership XML: our ``submission`` format, parsed by ``parsers.submission``.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.adapters.edgar.client import EdgarClient, EdgarError
from streams.adapters.edgar.feed import FeedEntry
from streams.adapters.edgar.index import IndexEntry


@dataclass(frozen=True)
class FilingRef:
    """Enough to download one filing: its accession number and a CIK it was filed under."""

    accession: str
    cik: str
    form_type: str

    @classmethod
    def of(cls, entry: FeedEntry | IndexEntry) -> FilingRef:
        if isinstance(entry, IndexEntry):
            return cls(entry.accession, entry.cik, entry.form_type)
        # No CIK in the link: the filer-agent prefix of the accession is a CIK EDGAR also files under.
        return cls(entry.accession, entry.cik or entry.accession.split("-", 1)[0], entry.form_type)


def submission_path(ref: FilingRef) -> str:
    """Path of the complete submission text file under the EDGAR base URL."""
    return f"Archives/edgar/data/{int(ref.cik)}/{ref.accession}.txt"


async def fetch_submission(client: EdgarClient, ref: FilingRef) -> bytes:
    """The complete submission of ``ref``.

    Raises:
        EdgarError: not found, or the download failed after retries.
    """
    body = await client.get(client.url(submission_path(ref)))
    if not body:
        raise EdgarError(f"{ref.accession}: empty submission")
    return body
