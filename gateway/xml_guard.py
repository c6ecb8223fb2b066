"""Hostile-XML checks that run before any tree is built: no DOCTYPE, bounded depth and size.

Used on both sides: the gateway's SOAP endpoint (inbound) and the zeep adapter reading the
inventory system's answers (outbound). Standard library and lxml only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

DEFAULT_MAX_DEPTH = 100
CHUNK = 64 * 1024


class UnsafeXml(Exception):
    """The document is refused before it is parsed into a tree (DOCTYPE, depth)."""


class TooLarge(Exception):
    """The document is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


class _Inspector:
    """A parser target: stops at a DOCTYPE (before its declarations are read) or past a depth."""

    def __init__(self, max_depth: int) -> None:
        self._max_depth = max_depth
        self._depth = 0

    def doctype(self, *_: Any) -> None:
        raise UnsafeXml("a DOCTYPE is not allowed")

    def start(self, *_: Any) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise UnsafeXml(f"elements are nested deeper than {self._max_depth}")

    def end(self, *_: Any) -> None:
        self._depth -= 1

    def data(self, *_: Any) -> None:
        pass

    def close(self) -> None:
        return None


def _parser(**extra: Any) -> etree.XMLParser:
    # No entity is ever expanded, nothing is fetched, no DTD loaded, libxml2's own limits stay on.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **extra
    )


def inspect(document: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Raise UnsafeXml for a DOCTYPE or excessive nesting; XMLSyntaxError if malformed."""
    parser = _parser(target=_Inspector(max_depth))
    parser.feed(document)
    parser.close()


def parse(document: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element:
    """The document's root, after ``inspect`` found nothing hostile in it."""
    inspect(document, max_depth)
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
