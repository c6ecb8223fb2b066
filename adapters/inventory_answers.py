"""The inventory's SOAP answers, read with lxml into the plain records the translations take.

zeep builds the requests and owns the WSDL; it no longer reads the answers. An answer's bytes,
already cut at ``UPSTREAM_MAX_ANSWER_BYTES`` by the transport, are parsed once, by a parser that
expands no entity, fetches nothing, loads no DTD and keeps libxml2's own limits (huge_tree off).
Nothing is read from that tree before it passes the hostile-XML checks
(docs/decisions/154-inventory-answers-read-with-lxml.md): a DOCTYPE in its docinfo (internal
subset, entities, external DTD) refuses it, and so does nesting deeper than ``XML_MAX_DEPTH``
(one compiled XPath, run in C). A body that does not parse is handed to
``gateway.xml_guard.inspect`` so that it is refused for what the guard refuses (a DOCTYPE, depth)
and is otherwise "not XML", as zeep reported it.

Records are what zeep's ``serialize_object`` gave: the answer types of the WSDL, as zeep parsed
them, read in sequence order (an element out of place, repeated or unknown is refused as zeep's
strict mode refused it); decimals as ``Decimal`` (never float), integers as ``int``, text as
sent; an array wrapper of the answer unwrapped to its list, as zeep did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from lxml import etree
from zeep.utils import qname_attr
from zeep.xsd import AnySimpleType, ComplexType
from zeep.xsd.types.builtins import Decimal as XsdDecimal
from zeep.xsd.types.builtins import Integer as XsdInteger

from gateway import xml_guard

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
BODY = f"{{{SOAP_ENV}}}Body"
FAULT = f"{{{SOAP_ENV}}}Fault"


class UnreadableAnswer(Exception):
    """The answer cannot be read as the contract's; ``reason`` names why, as the detail says."""

    reason = "XMLParseError"  # the name zeep's strict reading gave it, kept for logs and alerts


class UnsafeAnswer(UnreadableAnswer):
    """Too large, a DOCTYPE, or nested too deep: refused before any value is read."""

    reason = "UnsafeAnswer"


class FailedStatus(Exception):
    """An answer that is no SOAP envelope (not XML, or empty), read by its HTTP status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class LegacyFault(Exception):
    """A SOAP fault: its ``faultstring`` and its ``detail`` element (None if it has none)."""

    def __init__(self, message: str | None, detail: etree._Element | None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def _decimal(text: str) -> Any:
    # zeep's reading (Decimal of the whitespace-collapsed text); what Decimal cannot read is
    # left as text, for the translation to refuse as "not a decimal".
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def _integer(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return None  # as zeep read it: a value it could not convert is absent


class Field(NamedTuple):
    """One element of a complex type: where it stands in the sequence and how it reads."""

    position: int
    name: str
    repeated: bool
    convert: Callable[[str], Any] | None  # for a decimal or an integer; None: text as sent
    shape: Shape | None  # for a record


@dataclass
class Shape:
    """One complex type of the answers: its elements by tag, in sequence order."""

    fields: dict[str, Field] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    in_order: list[str] | None = None
    """Every element's qualified tag in sequence order, for a type of simple elements only."""
    converted: list[tuple[int, Callable[[str], Any]]] = field(default_factory=list)

    @property
    def single(self) -> Field | None:
        """The type's only element, when it has just one (zeep unwrapped such answers)."""
        return self.fields.get(self.names[0]) if len(self.names) == 1 else None


def shape_of(xsd_type: ComplexType, namespace: str, known: dict[int, Shape]) -> Shape:
    """The reading of a complex type as zeep parsed it from the WSDL (shared where types are)."""
    if id(xsd_type) in known:
        return known[id(xsd_type)]
    shape = known[id(xsd_type)] = Shape()
    for position, (name, element) in enumerate(xsd_type.elements):
        nested = element.type if isinstance(element.type, ComplexType) else None
        repeated = element.max_occurs == "unbounded" or element.max_occurs > 1
        entry = Field(
            position, name, repeated,
            None if nested else _converter(element.type),
            shape_of(nested, namespace, known) if nested else None,
        )  # fmt: skip
        # Matched by local name when unqualified, as zeep matched them (its issues 170, 176)
        qualified = f"{{{element.qname.namespace or namespace}}}{name}"
        shape.fields[name] = shape.fields[qualified] = entry
        shape.names.append(name)
        if repeated:
            shape.repeated.append(name)
        if entry.convert is not None:
            shape.converted.append((position, entry.convert))
    flat = all(not f.repeated and f.shape is None for f in shape.fields.values())
    shape.in_order = [tag for tag in shape.fields if tag.startswith("{")] if flat else None
    return shape


def _converter(xsd_type: Any) -> Callable[[str], Any] | None:
    if isinstance(xsd_type, XsdInteger):  # before Decimal: zeep's Integer is one
        return _integer
    if isinstance(xsd_type, XsdDecimal):
        return _decimal
    return None


class AnswerReader:
    """Reads one operation's answers; built once per operation from zeep's parsed WSDL."""

    def __init__(self, response: Shape, max_depth: int, schema: Any) -> None:
        self._response = response
        self._max_depth = max_depth
        self._schema = schema
        self._too_deep = etree.XPath("boolean(/*" + "/*" * max_depth + ")")

    def read(self, status: int, body: bytes) -> Any:
        """The answer's records (as zeep unwrapped them); LegacyFault, FailedStatus, or an
        UnreadableAnswer when it is hostile or not the contract's."""
        if not body:
            if status in (201, 202):
                return None
            raise FailedStatus(status)
        envelope = self._tree(status, body)
        soap_body = envelope.find(BODY)
        fault = soap_body.find(FAULT) if soap_body is not None else None
        if fault is not None or status != 200:
            raise _fault(fault, status)
        if soap_body is None or not len(soap_body):
            raise UnreadableAnswer("the answer has no SOAP body")
        typed = XSI.encode() in body and bool(HAS_XSI_TYPE(envelope))
        return self._unwrapped(soap_body[0], self._schema if typed else None)

    def _tree(self, status: int, body: bytes) -> etree._Element:
        try:
            root = etree.fromstring(body, _parsers.parser)
        except etree.XMLSyntaxError:
            raise self._refusal(body) or FailedStatus(status) from None
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise UnsafeAnswer("answer refused: a DOCTYPE is not allowed")
        if self._too_deep(root):
            raise UnsafeAnswer(f"answer refused: elements are nested deeper than {self._max_depth}")
        return root

    def _refusal(self, body: bytes) -> UnsafeAnswer | None:
        # The rare body that does not parse: refused as the streaming guard refused it when a
        # DOCTYPE or the depth came before what broke it (libxml2 stops at the first fatal error,
        # an entity amplification or its own depth limit included); else it is not XML.
        try:
            xml_guard.inspect(body, self._max_depth)
        except xml_guard.UnsafeXml as error:
            return UnsafeAnswer(f"answer refused: {error}")
        except etree.XMLSyntaxError:
            pass
        return None

    def _unwrapped(self, element: etree._Element, schema: Any) -> Any:
        record = read_record(element, self._response, schema)
        only = self._response.single
        if record is None or only is None:
            return record
        value = record.get(only.name)
        inner = only.shape.single if only.shape is not None else None
        if isinstance(value, dict) and inner is not None:
            return value.get(inner.name)
        return value


def hardened_parser() -> etree.XMLParser:
    """The parser every answer is read with: no entity expanded, nothing fetched, no DTD."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True,
    )  # fmt: skip


class _Parsers(threading.local):
    # One per thread: a parser serialises the threads that share it (the work-order view reads
    # two answers side by side, decision 077), and building one per answer costs a little.
    def __init__(self) -> None:
        self.parser = hardened_parser()


_parsers = _Parsers()
HAS_XSI_TYPE = etree.XPath("boolean(//@xsi:type)", namespaces={"xsi": XSI})


def read_record(element: etree._Element, shape: Shape, schema: Any = None) -> dict[str, Any] | None:
    """A complex element as a dict, its children in sequence order; None when it is empty.
    ``schema``: zeep's, when some element of the answer names its own ``xsi:type``."""
    if not len(element) and not element.attrib:
        return None
    children: Iterable[etree._Element] = element
    if shape.in_order is not None and schema is None:
        children = list(element)
        if [child.tag for child in children] == shape.in_order:
            return _in_order(children, shape)  # what the legacy system sends: all, in order
    record: dict[str, Any] = {name: [] for name in shape.repeated} if shape.repeated else {}
    fields = shape.fields
    position = -1
    for child in children:  # one pass, no call for a text
        found = fields.get(child.tag)
        if found is None:
            raise UnreadableAnswer(f"unexpected element {child.tag!r}")
        at, name, repeated, convert, nested = found
        if at <= position and not (repeated and at == position):
            raise UnreadableAnswer(f"element {child.tag!r} out of sequence")
        position = at
        if nested is not None:
            value = read_record(child, nested, schema)
        elif schema is not None and child.get(XSI_TYPE) is not None:
            value = _as_declared(child, schema, convert)
        else:
            value = child.text
            if convert is not None and value is not None:
                value = convert(value)
        if repeated:
            record[name].append(value)
        else:
            record[name] = value
    return record


def _in_order(children: list[etree._Element], shape: Shape) -> dict[str, Any]:
    # A listing's hot path: a record with every element once and in order is zipped in C.
    texts = [child.text for child in children]
    for position, convert in shape.converted:
        if texts[position] is not None:
            texts[position] = convert(texts[position])
    return dict(zip(shape.names, texts, strict=True))


def _as_declared(child: etree._Element, schema: Any, convert: Callable[[str], Any] | None) -> Any:
    # zeep read a simple element by the type its xsi:type names (an xs:double quantity became a
    # float, which the translation refuses: decision 011); an unknown name leaves it as declared.
    declared = schema.get_type(qname_attr(child, XSI_TYPE), fail_silently=True)
    if not isinstance(declared, AnySimpleType):
        text = child.text
        return convert(text) if convert is not None and text is not None else text
    try:
        return declared.parse_xmlelement(child, schema)
    except InvalidOperation:
        return child.text


def _fault(fault: etree._Element | None, status: int) -> Exception:
    if fault is None:  # not 200, yet no fault: read by its status, as a body that is not XML
        return FailedStatus(status)
    namespaces = fault.nsmap
    message = fault.find("faultstring", namespaces=namespaces)
    return LegacyFault(
        message.text if message is not None else None,
        fault.find("detail", namespaces=namespaces),
    )


def readers(
    operations: Iterable[tuple[str, ComplexType]], namespace: str, max_depth: int, schema: Any
) -> dict[str, AnswerReader]:
    """An AnswerReader per operation name, from each operation's answer type."""
    known: dict[int, Shape] = {}
    return {
        name: AnswerReader(shape_of(answer, namespace, known), max_depth, schema)
        for name, answer in operations
    }
