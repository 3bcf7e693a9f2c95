"""EDGAR ownership XML (``<ownershipDocument>``, schema X0101..X0609) -> :class:`Filing`.

Choices, in short:

* One hardened lxml parse (no entity expansion, no DTD, no network, no huge trees). A document that
  declares entities is rejected outright (``malformed_xml``): EDGAR documents never do, and it is
  how billion-laughs and XXE attacks start.
* Strict well-formedness: scraper output with unescaped ``&`` is ``malformed_xml``, not "recovered",
  because libxml2's recover mode silently drops the text it cannot read.
* Elements are matched by local name (namespaces stripped once); unknown elements are ignored, so
  every schema version parses with the same code.
* Junk in a typed field (a number, date, boolean or code) raises ``malformed_xml`` with the element
  path in ``where``; a field that is empty or only footnoted is ``None`` with its footnotes kept.
* Required: ``documentType`` (one of 3/4/5 and their amendments), ``issuerCik``, at least one
  ``reportingOwner`` with a name. Missing -> ``missing_required_field`` with the element path.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date
from typing import cast

from lxml import etree

from parsers._values import clean_text, normalise_cik, normalise_ticker, parse_bool, parse_date
from parsers._xmlrows import element_path, parse_rows
from parsers.errors import BadEncoding, MalformedXml, MissingRequiredField, NotOwnershipForm
from parsers.models import (
    FORM_TYPES,
    Address,
    Filing,
    FormType,
    Issuer,
    ReportingOwner,
    Signature,
    SourceFormat,
    SubmissionHeader,
)

__all__ = ["parse_ownership_xml"]

_ROOT = "/ownershipDocument"
_local = threading.local()
_ENCODING_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)", re.IGNORECASE)


def _xml_parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread, built once.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def _parse_tree(content: bytes) -> etree._Element:
    if content[:1].isspace():
        # EDGAR submissions put a newline between <XML> and the declaration; libxml2 refuses that.
        content = content.lstrip()
    if not content:
        raise MalformedXml("empty document")
    if b"<!ENTITY" in content:
        raise MalformedXml("entity declarations are not allowed (entity-expansion and XXE guard)")
    declared = _ENCODING_DECL.match(content)
    if declared is None or declared.group(1).lower().replace(b"-", b"") == b"utf8":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEncoding(f"not UTF-8: byte 0x{content[exc.start]:02x} at offset {exc.start}") from None
    try:
        root = etree.fromstring(content, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise MalformedXml(str(exc.msg or exc), where=f"line {line}" if line else None) from None
    if root is None:
        raise MalformedXml("no root element")
    if b"xmlns" in content or ":" in root.tag:
        _strip_namespaces(root)
    return root


def _strip_namespaces(root: etree._Element) -> None:
    # Match by local name everywhere: rewrite tags once rather than test namespaces per lookup.
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str):
            if tag[0] == "{":
                el.tag = tag.split("}", 1)[1]
            elif ":" in tag:
                el.tag = tag.rsplit(":", 1)[1]


def _text(el: etree._Element | None) -> str | None:
    """Text of a plain element, or of its ``<value>`` child when it is a value element."""
    if el is None:
        return None
    text = el.text
    if text is None or not text.strip():
        for child in el:
            if child.tag == "value":
                return child.text
    return text


def _children(el: etree._Element) -> dict[str, etree._Element]:
    """First child per local name: one pass instead of a find() per field."""
    out: dict[str, etree._Element] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in out:
            out[tag] = child
    return out


def _bool(kids: dict[str, etree._Element], name: str) -> bool | None:
    el = kids.get(name)
    if el is None:
        return None
    try:
        return parse_bool(_text(el))
    except ValueError as exc:
        raise MalformedXml(str(exc), where=element_path(el)) from None


def _date(el: etree._Element | None) -> date | None:
    if el is None:
        return None
    try:
        return parse_date(_text(el))
    except ValueError as exc:
        raise MalformedXml(str(exc), where=element_path(el)) from None


def _issuer(kids: dict[str, etree._Element]) -> Issuer:
    el = kids.get("issuer")
    if el is None:
        raise MissingRequiredField("no issuer", where=f"{_ROOT}/issuer")
    ik = _children(el)
    cik_el = ik.get("issuerCik")
    try:
        cik = normalise_cik(_text(cik_el))
    except ValueError as exc:
        raise MalformedXml(str(exc), where=element_path(cik_el) if cik_el is not None else None) from None
    if cik is None:
        raise MissingRequiredField("no issuer CIK", where=f"{_ROOT}/issuer/issuerCik")
    return Issuer(
        cik=cik,
        name=clean_text(_text(ik.get("issuerName"))),
        ticker=normalise_ticker(_text(ik.get("issuerTradingSymbol"))),
    )


def _owner(el: etree._Element, position: int) -> ReportingOwner:
    kids = _children(el)
    id_el = kids.get("reportingOwnerId")
    idk = _children(id_el) if id_el is not None else {}
    where = f"{_ROOT}/reportingOwner[{position}]/reportingOwnerId/rptOwnerName"
    name = clean_text(_text(idk.get("rptOwnerName")))
    if name is None:
        # The schema lets a filer omit the name (EDGAR fills it in on dissemination), but every
        # disseminated filing carries it and the event contract needs it: reject, do not invent one.
        raise MissingRequiredField("reporting owner has no name", where=where)
    cik_el = idk.get("rptOwnerCik")
    try:
        cik = normalise_cik(_text(cik_el))
    except ValueError as exc:
        raise MalformedXml(str(exc), where=element_path(cik_el) if cik_el is not None else None) from None
    address = None
    addr_el = kids.get("reportingOwnerAddress")
    if addr_el is not None:
        ak = _children(addr_el)
        address = Address(
            street1=clean_text(_text(ak.get("rptOwnerStreet1"))),
            street2=clean_text(_text(ak.get("rptOwnerStreet2"))),
            city=clean_text(_text(ak.get("rptOwnerCity"))),
            state=clean_text(_text(ak.get("rptOwnerState"))),
            zip_code=clean_text(_text(ak.get("rptOwnerZipCode"))),
            state_description=clean_text(_text(ak.get("rptOwnerStateDescription"))),
        )
    rel_el = kids.get("reportingOwnerRelationship")
    rk = _children(rel_el) if rel_el is not None else {}
    return ReportingOwner(
        cik=cik,
        name=name,
        address=address,
        # An absent relationship flag means "not checked".
        is_director=bool(_bool(rk, "isDirector")),
        is_officer=bool(_bool(rk, "isOfficer")),
        is_ten_percent_owner=bool(_bool(rk, "isTenPercentOwner")),
        is_other=bool(_bool(rk, "isOther")),
        officer_title=clean_text(_text(rk.get("officerTitle"))),
        other_text=clean_text(_text(rk.get("otherText"))),
    )


def _form_type(kids: dict[str, etree._Element], header: SubmissionHeader | None) -> FormType:
    el = kids.get("documentType")
    raw = clean_text(_text(el))
    if raw is None:
        raise MissingRequiredField("no documentType", where=f"{_ROOT}/documentType")
    form = raw.upper().replace(" ", "")
    if form not in FORM_TYPES:
        raise NotOwnershipForm(f"documentType {raw!r} is not Form 3, 4 or 5", where=f"{_ROOT}/documentType")
    # Real amendments say "4/A" in documentType. Should one not, an amendment submission type or a
    # dateOfOriginalSubmission (only meaningful on amendments) still marks it as one.
    if not form.endswith("/A"):
        sub_type = (header.submission_type if header is not None else "") or ""
        if sub_type.upper() == f"{form}/A" or _text(kids.get("dateOfOriginalSubmission")):
            form = f"{form}/A"
    return cast(FormType, form)  # checked against FORM_TYPES above; "/A" of a form type is one too


def _all_text(el: etree._Element) -> str:
    """The element's text with its descendants'. lxml-stubs allow bytes; parsed documents give str."""
    return "".join(cast("Iterator[str]", el.itertext()))


def _footnotes(kids: dict[str, etree._Element]) -> dict[str, str]:
    el = kids.get("footnotes")
    if el is None:
        return {}
    out: dict[str, str] = {}
    for fn in el:
        if fn.tag == "footnote" and (fid := fn.get("id")):
            # itertext: a footnote may carry inline markup; the text is kept as filed, only trimmed.
            out[fid.strip()] = _all_text(fn).strip()
    return out


def _signatures(root: etree._Element) -> tuple[Signature, ...]:
    out = []
    for el in root:
        if el.tag != "ownerSignature":
            continue
        sk = _children(el)
        name = clean_text(_text(sk.get("signatureName")))
        if name is not None:
            out.append(Signature(name=name, date=_date(sk.get("signatureDate"))))
    return tuple(out)


def parse_ownership_xml(
    content: bytes,
    *,
    sha256: str,
    source_format: SourceFormat = "xml",
    header: SubmissionHeader | None = None,
) -> Filing:
    """Parse one ownership XML document.

    Args:
        content: the XML bytes.
        sha256: hex digest of the raw input (of the whole submission when wrapped).
        source_format: ``"submission"`` when the XML came out of a complete-submission file.
        header: the submission header, which supplies accession number and acceptance time.

    Raises:
        MalformedXml: not well-formed, entity declarations, or junk in a typed field.
        BadEncoding: not UTF-8 (and no other encoding declared).
        NotOwnershipForm: the root is not ``ownershipDocument`` or the form is not 3/4/5.
        MissingRequiredField: no documentType, issuer CIK or reporting owner.
    """
    root = _parse_tree(content)
    if root.tag != "ownershipDocument":
        raise NotOwnershipForm(f"root element is <{root.tag}>, not <ownershipDocument>", where=f"/{root.tag}")
    kids = _children(root)
    form_type = _form_type(kids, header)
    issuer = _issuer(kids)
    owner_els = [el for el in root if el.tag == "reportingOwner"]
    if not owner_els:
        raise MissingRequiredField("no reporting owner", where=f"{_ROOT}/reportingOwner")
    owners = tuple(_owner(el, i) for i, el in enumerate(owner_els, start=1))
    footnotes = _footnotes(kids)
    aff10b5_one = _bool(kids, "aff10b5One")
    tables = [el for el in root if el.tag in ("nonDerivativeTable", "derivativeTable")]
    remarks_el = kids.get("remarks")
    remarks = (_all_text(remarks_el).strip() or None) if remarks_el is not None else None
    rows = parse_rows(tables, footnotes, aff10b5_one, remarks)
    return Filing(
        source_format=source_format,
        form_type=form_type,
        accession_number=header.accession_number if header is not None else None,
        content_sha256=sha256,
        schema_version=clean_text(_text(kids.get("schemaVersion"))),
        period_of_report=_date(kids.get("periodOfReport")),
        date_of_original_submission=_date(kids.get("dateOfOriginalSubmission")),
        filed_at=header.filed_at if header is not None else None,
        filing_date=header.filing_date if header is not None else None,
        aff10b5_one=aff10b5_one,
        not_subject_to_section16=_bool(kids, "notSubjectToSection16"),
        no_securities_owned=_bool(kids, "noSecuritiesOwned"),
        remarks=remarks,
        issuer=issuer,
        owners=owners,
        rows=rows,
        footnotes=footnotes,
        signatures=_signatures(root),
    )
