"""Hostile-XML checks that run before any tree is built: no DOCTYPE, bounded depth and size,
and (inbound) bounded counts of elements and attributes.

Used on both sides: the gateway's SOAP endpoint (inbound) and the zeep adapter reading the
inventory system's answers (outbound). Standard library and lxml only.

A parser *target* sees the document as it is read, before any tree exists: a DOCTYPE stops it
at once (before its declarations are read, so no entity is declared, let alone expanded, and no
external DTD is fetched), and so do nesting past the depth limit and counts past their limits.
Only runs without ``<`` longer than the start-tag limit can hold a long start tag (a start tag
cannot contain ``<``, not even in a quoted value); those few are measured with a quote-aware
pattern before lxml sees them. The tree is then built with entities unresolved, no network, no
DTD loading and libxml2's limits on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

DEFAULT_MAX_DEPTH = 100
CHUNK = 64 * 1024


class UnsafeXml(Exception):
    """The document is refused before it is parsed into a tree (DOCTYPE, depth, counts)."""


class TooLarge(Exception):
    """The document is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class XmlLimits:
    """How much one document may make a parser do; None leaves a count unbounded.

    Namespace declarations count as attributes: libxml2 keeps a node for each of them too.
    A start tag's length is bounded as well: lxml hands a parser target all of an element's
    attributes at once, so one 2 MiB tag would cost tens of MiB before they could be counted.
    """

    max_depth: int = DEFAULT_MAX_DEPTH
    max_elements: int | None = None
    max_attributes_per_element: int | None = None
    max_attributes: int | None = None
    max_start_tag_bytes: int | None = None


class _Inspector:
    """A parser target: stops at a DOCTYPE (before its declarations are read), past a depth, or
    past a count, element by element as the document is read; it builds nothing."""

    def __init__(self, limits: XmlLimits) -> None:
        self._limits = limits
        self._depth = 0
        self._elements = 0
        self._attributes = 0
        self._declarations = 0

    def doctype(self, *_: Any) -> None:
        raise UnsafeXml("a DOCTYPE is not allowed")

    def start_ns(self, *_: Any) -> None:
        # Called once per declaration, just before the start of the element holding it; the
        # ``nsmap`` handed to ``start`` is not relied on (lxml 6.2 hands it over empty).
        self._declarations += 1

    def start(self, _tag: str, attrib: dict[str, str]) -> None:
        self._depth += 1
        self._elements += 1
        here = len(attrib) + self._declarations
        self._declarations = 0
        self._attributes += here
        limits = self._limits
        if self._depth > limits.max_depth:
            raise UnsafeXml(f"elements are nested deeper than {limits.max_depth}")
        _at_most(self._elements, limits.max_elements, "elements")
        _at_most(here, limits.max_attributes_per_element, "attributes on one element")
        _at_most(self._attributes, limits.max_attributes, "attributes")

    def end(self, *_: Any) -> None:
        self._depth -= 1

    def data(self, *_: Any) -> None:
        pass

    def close(self) -> None:
        return None


START_TAG = re.compile(rb"""<(?:[^"'<>]|"[^"<]*"|'[^'<]*')*+>""")
"""A start or end tag: '>' ends it unless quoted; no '<' in it, not even in a quoted value."""


def _check_start_tags(document: bytes, max_bytes: int) -> None:
    """Refuse a start tag longer than ``max_bytes``, without tokenising the whole document.

    A tag holds no '<', so a long one begins a run of at least ``max_bytes`` bytes free of '<';
    only such runs (rare: long texts) are looked at, each for at most ``max_bytes``.
    """
    runs = re.compile(rb"<[^<!?/][^<]{%d,}" % max_bytes)
    for run in runs.finditer(document):
        if not START_TAG.match(document, run.start(), run.start() + max_bytes):
            raise UnsafeXml(f"a start tag is longer than {max_bytes} bytes")


def _at_most(count: int, limit: int | None, what: str) -> None:
    if limit is not None and count > limit:
        raise UnsafeXml(f"more than {limit} {what}")


def _parser(**extra: Any) -> etree.XMLParser:
    # No entity is ever expanded, nothing is fetched, no DTD loaded, libxml2's own limits stay on.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **extra
    )


def inspect(
    document: bytes, max_depth: int = DEFAULT_MAX_DEPTH, limits: XmlLimits | None = None
) -> None:
    """Raise UnsafeXml for a DOCTYPE, excessive nesting or a count past ``limits`` (which, when
    given, carries its own depth); XMLSyntaxError if malformed."""
    limits = limits or XmlLimits(max_depth)
    if limits.max_start_tag_bytes is not None:
        _check_start_tags(document, limits.max_start_tag_bytes)
    parser = _parser(target=_Inspector(limits))
    parser.feed(document)
    parser.close()


def parse(
    document: bytes, max_depth: int = DEFAULT_MAX_DEPTH, limits: XmlLimits | None = None
) -> etree._Element:
    """The document's root, after ``inspect`` found nothing hostile in it."""
    inspect(document, max_depth, limits)
    return etree.fromstring(document, _parser(remove_comments=True, remove_pis=True))


def read_bounded(chunks: Iterable[bytes], limit: int) -> bytes:
    """Join ``chunks``; raise TooLarge as soon as more than ``limit`` bytes arrived."""
    received = bytearray()
    for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise TooLarge(limit)
    return bytes(received)


def stream_chunks(stream: Any, length: int | None, limit: int) -> Iterable[bytes]:
    """Chunks of a file-like ``stream``: ``length`` bytes if known, else until it ends."""
    remaining = length if length is not None else limit + 1
    while remaining > 0:
        chunk = stream.read(min(CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk
