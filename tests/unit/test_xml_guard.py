"""gateway.xml_guard refuses hostile XML before any tree is built."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from gateway import xml_guard

LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<x>&c;</x>"""


def test_a_doctype_is_refused_before_its_entities_are_declared() -> None:
    with pytest.raises(xml_guard.UnsafeXml, match="DOCTYPE"):
        xml_guard.parse(LAUGHS)


def test_nesting_past_the_limit_is_refused_and_at_the_limit_accepted() -> None:
    assert xml_guard.parse(b"<a>" * 5 + b"</a>" * 5, max_depth=5).tag == "a"
    with pytest.raises(xml_guard.UnsafeXml, match="deeper than 5"):
        xml_guard.parse(b"<a>" * 6 + b"</a>" * 6, max_depth=5)


def test_an_undeclared_entity_is_a_syntax_error_never_a_lookup() -> None:
    with pytest.raises(etree.XMLSyntaxError):
        xml_guard.parse(b"<a>&secret;</a>")


def test_an_ordinary_document_parses_without_comments() -> None:
    root = xml_guard.parse(b"<a><!-- note --><b>1</b></a>")
    assert [child.tag for child in root] == ["b"]


def test_reading_stops_as_soon_as_the_limit_is_passed() -> None:
    stream = io.BytesIO(b"x" * 1000)
    with pytest.raises(xml_guard.TooLarge):
        xml_guard.read_bounded(xml_guard.stream_chunks(stream, None, 100), 100)
    assert stream.tell() <= 101  # it did not read the whole body first


def test_a_body_within_the_limit_is_read_whole() -> None:
    chunks = xml_guard.stream_chunks(io.BytesIO(b"<a/>trailing"), 4, 100)
    assert xml_guard.read_bounded(chunks, 100) == b"<a/>"
