"""What each rendering carries: project a generated :class:`Filing` onto what a parser can read back.

A round trip is ``parse(render(filing)) == view(filing)`` up to the provenance fields (hash and
source format). XML lacks the submission header (accession, acceptance time, filing date); HTML
also lacks the schema version, the Form 3/5 flags, the line form type, late (L) timeliness, CIK-less
distinctions between shares and dollar values, and the relationships of joint filers after the first;
the text rendering further drops CIKs, the Section 16 checkbox and all signatures but the first.
"""

from __future__ import annotations

from typing import Any

from parsers.models import Filing, ReportingOwner, Row, SourceFormat

_PROVENANCE = {"content_sha256", "source_format"}
_HEADER_ONLY = {"accession_number", "filed_at", "filing_date"}


def _rendered_row(row: Row) -> Row:
    """A row as the HTML/text tables show it: one amount column, one following column, no line form type."""
    notes = dict(row.footnotes)
    update: dict[str, Any] = {
        "transaction_form_type": None,
        "timeliness": "E" if row.timeliness == "E" else None,
    }
    if row.total_value is not None:
        update |= {"shares": row.total_value, "total_value": None}
        if "total_value" in notes:
            notes["shares"] = notes.pop("total_value")
    if row.value_owned_following is not None:
        update |= {"shares_owned_following": row.value_owned_following, "value_owned_following": None}
    if row.underlying_value is not None:
        update |= {"underlying_shares": row.underlying_value, "underlying_value": None}
    update["footnotes"] = notes
    return row.model_copy(update=update)


def _plain_owner(owner: ReportingOwner, *, keep_cik: bool) -> ReportingOwner:
    return owner.model_copy(
        update={
            "is_director": False,
            "is_officer": False,
            "is_ten_percent_owner": False,
            "is_other": False,
            "officer_title": None,
            "other_text": None,
            "cik": owner.cik if keep_cik else None,
        }
    )


def view(filing: Filing, fmt: SourceFormat) -> dict[str, Any]:
    """The comparable content of ``filing`` as rendered in ``fmt`` (a plain dict, for clear diffs)."""
    exclude = set(_PROVENANCE)
    if fmt == "xml":
        exclude |= _HEADER_ONLY
    if fmt in ("xml", "submission"):
        return filing.model_dump(exclude=exclude)
    exclude |= _HEADER_ONLY | {"schema_version", "no_securities_owned"}
    text = fmt == "text"
    first = filing.owners[0]
    owners = (first.model_copy(update={"cik": None}) if text else first,) + tuple(
        _plain_owner(o, keep_cik=not text) for o in filing.owners[1:]
    )
    update: dict[str, Any] = {"owners": owners, "rows": tuple(_rendered_row(r) for r in filing.rows)}
    if filing.form_type.startswith("3"):
        update["not_subject_to_section16"] = None
    if text:
        update |= {
            "issuer": filing.issuer.model_copy(update={"cik": ""}),
            "not_subject_to_section16": None,
            "signatures": filing.signatures[:1],
        }
    return filing.model_copy(update=update).model_dump(exclude=exclude)


def parsed_view(parsed: Filing, fmt: SourceFormat) -> dict[str, Any]:
    """The same projection of a parsed filing (only the provenance and format-absent fields go)."""
    exclude = set(_PROVENANCE)
    if fmt == "xml":
        exclude |= _HEADER_ONLY
    elif fmt in ("html", "text"):
        exclude |= _HEADER_ONLY | {"schema_version", "no_securities_owned"}
    return parsed.model_dump(exclude=exclude)


__all__ = ["parsed_view", "view"]
