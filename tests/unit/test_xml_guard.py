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


LIMITS = xml_guard.XmlLimits(
    max_depth=10,
    max_elements=5,
    max_attributes_per_element=2,
    max_attributes=3,
    max_start_tag_bytes=64,
)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<a>" + b"<b/>" * 5 + b"</a>", "more than 5 elements"),
        (b'<a x="1" y="2" z="3"/>', "more than 2 attributes on one element"),
        (b'<a xmlns:p="u:1" xmlns:q="u:2" p:z="3"/>', "more than 2 attributes on one element"),
        (b'<a x="1" y="2"><b p="1" q="1"/></a>', "more than 3 attributes"),
        (b'<a x="' + b"v" * 100 + b'"/>', "start tag is longer than 64 bytes"),
        (b"<a " + b" ".join(b'a%d=">"' % i for i in range(20)) + b"/>", "longer than 64 bytes"),
    ],
)
def test_counts_past_the_limits_are_refused_before_a_tree_is_built(
    document: bytes, reason: str
) -> None:
    with pytest.raises(xml_guard.UnsafeXml, match=reason):
        xml_guard.parse(document, limits=LIMITS)


@pytest.mark.parametrize(
    "document",
    [
        b'<a x=">" y="1">' + b"t" * 1000 + b"</a>",  # a long text is not a long tag
        b"<a><!--" + b"<x " * 100 + b"--></a>",
        b"<a><![CDATA[" + b"x" * 200 + b"]]><b/></a>",
        b'<a xmlns:p="u:1" p:x="1"><b/><b/></a>',
    ],
)
def test_documents_within_the_limits_parse(document: bytes) -> None:
    assert xml_guard.parse(document, limits=LIMITS).tag == "a"
