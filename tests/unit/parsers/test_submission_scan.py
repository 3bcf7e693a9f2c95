"""The submission's document scanner against the regex it replaced (issue 12: the regex tried three
alternatives at every byte). The regex stays here as the reference: same bodies, same XML blocks, on
hand-made edge cases and on every real complete submission in the corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parsers.submission import document_bodies, xml_block

_DOCUMENT = re.compile(rb"<DOCUMENT>(.*?)(?:</DOCUMENT>|(?=<DOCUMENT>)|\Z)", re.DOTALL)
_XML_BLOCK = re.compile(rb"<XML>(.*?)</XML>", re.DOTALL | re.IGNORECASE)


def _reference_bodies(content: bytes) -> list[bytes]:
    return [m.group(1) for m in _DOCUMENT.finditer(content)]


def _reference_xml(body: bytes) -> bytes | None:
    found = _XML_BLOCK.search(body)
    return found.group(1) if found else None


EDGES = [
    b"",
    b"no documents at all",
    b"<DOCUMENT>only one, never closed",
    b"<DOCUMENT>a</DOCUMENT><DOCUMENT>b</DOCUMENT>",
    b"<DOCUMENT>a<DOCUMENT>b</DOCUMENT>tail",
    b"<DOCUMENT>a</DOCUMENT>between<DOCUMENT>b",
    b"<DOCUMENT></DOCUMENT><DOCUMENT></DOCUMENT>",
    b"<DOCUMENT>x</DOCUMENT></DOCUMENT><DOCUMENT>y",
    b"<document>lower case is not a document</document>",
    b"<DOCUMENT><TYPE>4\n<TEXT>\n<xml>\n<ownershipDocument/>\n</Xml>\n</TEXT></DOCUMENT>",
    b"<DOCUMENT><XML>never closed<XML>again</DOCUMENT>",
    b"<DOCUMENT><XML>first</XML><XML>second</XML></DOCUMENT>",
    b"<DOCUMENT></XML><XML>after a stray close</XML></DOCUMENT>",
]


@pytest.mark.parametrize("content", EDGES)
def test_hand_made_edges_match_the_regex(content: bytes) -> None:
    bodies = document_bodies(content)
    assert bodies == _reference_bodies(content)
    assert [xml_block(b) for b in bodies] == [_reference_xml(b) for b in bodies]


def test_every_real_submission_matches_the_regex(corpus: Path) -> None:
    files = sorted((corpus / "submission").iterdir())
    assert len(files) > 10, f"expected the corpus's complete submissions in {corpus / 'submission'}"
    for path in files:
        content = path.read_bytes()
        bodies = document_bodies(content)
        assert bodies == _reference_bodies(content), path.name
        assert [xml_block(b) for b in bodies] == [_reference_xml(b) for b in bodies], path.name
