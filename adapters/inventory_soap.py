"""The legacy inventory system over SOAP, behind the InventoryPort.

zeep parses the WSDL (once per process, shared) and builds every request envelope; the envelope
goes out on the adapter's requests session with connect and read timeouts. An answer is read
only up to a size limit, then parsed once with lxml, checked and turned into plain records by
adapters.inventory_answers (decision 154); zeep/requests exceptions never cross the port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.wsdl import Document

from adapters import legacy_inventory as legacy
from adapters import legacy_search
from adapters.call_guard import CallGuard
from adapters.inventory_answers import (
    AnswerReader,
    FailedStatus,
    LegacyFault,
    UnreadableAnswer,
    UnsafeAnswer,
    readers,
)
from adapters.inventory_faults import error_for_fault, error_for_status, error_for_transport
from adapters.resilience import RetryPolicy
from gateway import xml_guard
from gateway.domain.errors import UpstreamFault
from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Item,
    ItemBalances,
    Page,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    StockLevel,
)
from gateway.observability import tracing
from gateway.observability.correlation import HEADER as CORRELATION_HEADER
from gateway.observability.correlation import SOAP_HEADER_NAMESPACE, correlation_id
from gateway.services.ports import TokenProvider

T = TypeVar("T")
UPSTREAM = "inventory"
NAMESPACE = "urn:legacy-erp:inventory:v1"
BINDING = f"{{{NAMESPACE}}}InventoryService"
log = logging.getLogger(__name__)

HARDENED = zeep.Settings(
    strict=True,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    xml_huge_tree=False,
)

_documents: dict[str, Document] = {}
_documents_lock = threading.Lock()


def parsed_wsdl(location: str) -> Document:
    """The WSDL at ``location``, parsed on first use and shared by every client after."""
    with _documents_lock:
        if location not in _documents:
            loader = zeep.Transport(timeout=10)
            _documents[location] = Document(location, loader, settings=HARDENED)  # type: ignore[arg-type]
        return _documents[location]


def _correlation_header() -> list[etree._Element]:
    """A SOAP header carrying the correlation id, so the legacy side can log it too."""
    found = correlation_id()
    if not found:
        return []
    element = etree.Element(f"{{{SOAP_HEADER_NAMESPACE}}}CorrelationId")
    element.text = found
    return [element]


class _BearerTransport(zeep.Transport):
    """Posts an envelope with a fresh bearer token and reads at most ``max_bytes`` of the
    answer (zeep's Transport for its session, timeouts and User-Agent; it parses nothing)."""

    def __init__(self, token: Callable[[], str], max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._token = token
        self._max_bytes = max_bytes

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        headers = {**headers, **tracing.outbound_headers()}
        headers["Authorization"] = f"Bearer {self._token()}"
        if correlation_id():
            headers[CORRELATION_HEADER] = str(correlation_id())
        response = self.session.post(
            address, data=message, headers=headers, timeout=self.operation_timeout, stream=True
        )
        with response:
            response._content = self._bounded_body(response)
        return response

    def _bounded_body(self, response: requests.Response) -> bytes:
        try:
            declared = int(response.headers.get("Content-Length", "0"))
            if declared > self._max_bytes:
                raise xml_guard.TooLarge(self._max_bytes)
            return xml_guard.read_bounded(response.iter_content(xml_guard.CHUNK), self._max_bytes)
        except (xml_guard.TooLarge, ValueError) as error:
            raise UnsafeAnswer(f"answer refused: {error}") from None


class InventorySoapClient:
    """InventoryPort over the legacy SOAP contract in ``wsdl/inventory.wsdl``."""

    def __init__(
        self,
        endpoint: str,
        wsdl: str,
        session: requests.Session,
        token_provider: TokenProvider,
        scope: str,
        clock: legacy.PlantClock,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        max_answer_bytes: int = 8 * 1024 * 1024,
        max_depth: int = xml_guard.DEFAULT_MAX_DEPTH,
        guard: CallGuard | None = None,
    ) -> None:
        self._transport = _BearerTransport(
            token=lambda: token_provider.token_for(scope),
            max_bytes=max_answer_bytes,
            session=session,
            timeout=read_timeout,
            operation_timeout=(connect_timeout, read_timeout),
        )
        document = parsed_wsdl(wsdl)
        self._client = zeep.Client(document, transport=self._transport, settings=HARDENED)
        self._service = self._client.create_service(BINDING, endpoint)
        self._endpoint = endpoint
        operations = document.bindings[BINDING].all()
        self._headers = {name: _http_headers(op.soapaction) for name, op in operations.items()}
        self._readers = _answer_readers(wsdl, document, max_depth)
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._guard = guard or CallGuard(UPSTREAM)

    def get_item(self, sku: str) -> Item:
        record = self._call("GetItem", True, ITEMNO=legacy.pad_item_number(sku))
        return self._translate(legacy.item_from_legacy, record)

    def get_stock_level(self, sku: str, warehouse_id: str) -> StockLevel:
        record = self._call(
            "GetBalance", True, ITEMNO=legacy.pad_item_number(sku), WHSE=warehouse_id
        )
        balances = self._translate(legacy.item_balances_from_legacy, record)
        for level in balances.levels:
            if level.warehouse_id == warehouse_id:
                return level
        raise UpstreamFault(UPSTREAM, "the balance answer names another warehouse")

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        if not skus:
            return []
        padded = [legacy.pad_item_number(sku) for sku in skus]
        records = self._call("GetBalances", True, ITEMNOS={"ITEMNO": padded}) or []
        return [self._translate(legacy.item_balances_from_legacy, r) for r in records]

    def list_reservations_by_sources(self, source_ids: Sequence[str]) -> list[Reservation]:
        if not source_ids:
            return []
        records = self._call("ListReservationsBySources", True, SRCIDS={"SRCID": list(source_ids)})
        return self._reservations(records)

    def list_reservations(self, sku: str, warehouse_id: str | None = None) -> list[Reservation]:
        records = self._call(
            "ListReservations", True, ITEMNO=legacy.pad_item_number(sku), WHSE=warehouse_id
        )
        return self._reservations(records)

    def get_reservation(self, reservation_id: str) -> Reservation:
        record = self._call("GetReservation", True, RSVNO=legacy.reservation_number(reservation_id))
        return self._translate(legacy.reservation_from_legacy, record, self._clock)

    def search_reservations(
        self, search: ReservationSearch, offset: int = 0, limit: int = 50
    ) -> Page[Reservation]:
        legacy_search.check_page(offset, limit)
        if search.owner_ids is not None and not search.owner_ids:
            return Page((), 0, offset, limit)  # the legacy browse reads "no owners" as all
        criteria = legacy_search.criteria_to_legacy(search, self._clock)
        page = legacy_search.page_to_legacy(offset, limit)
        record = self._call("SearchReservations", True, CRITERIA=criteria, PAGE=page)
        return self._translate(
            legacy_search.reservation_page_from_legacy, record, self._clock, offset, limit
        )

    def low_stock(self, owner_ids: frozenset[str] | None = None) -> list[StockLevel]:
        if owner_ids is not None and not owner_ids:
            return []  # the legacy call reads "no owners" as all
        owners = {"OWNER": sorted(owner_ids)} if owner_ids else None
        records = self._call("ListLowStock", True, OWNERS=owners) or []
        balances = [self._translate(legacy.item_balances_from_legacy, r) for r in records]
        return [level for item in balances for level in item.levels]

    def reserve(self, request: ReservationRequest) -> Reservation:
        # Safe to retry: the legacy system deduplicates on REFNO.
        payload = legacy.reservation_request_to_legacy(request, self._clock)
        record = self._call("Reserve", True, RSVREQ=payload)
        return self._translate(legacy.reservation_from_legacy, record, self._clock)

    def release(
        self, reservation_id: str, reason: ReleaseReason, reference: str | None = None
    ) -> Reservation:
        # Safe to retry only with a reference: the legacy system answers a repeat with the same
        # REFNO with the reservation as released; without one, a repeat after a lost answer
        # would report "already released".
        record = self._call(
            "Release",
            reference is not None,
            RSVNO=legacy.reservation_number(reservation_id),
            RELRSN=legacy.RELEASE_LETTER[reason],
            REFNO=reference,
        )
        return self._translate(legacy.reservation_from_legacy, record, self._clock)

    def consume(
        self,
        reservation_id: str,
        reference: str,
        quantity: Decimal | None = None,
        release_remainder: bool = False,
    ) -> Consumption:
        # Safe to retry: the legacy system answers a repeat with the same REFNO with the
        # reservation as it is now and the transaction it already posted.
        arguments = legacy.consume_to_legacy(reservation_id, reference, quantity, release_remainder)
        record = self._call("Consume", True, **arguments)
        return self._translate(legacy.consumption_from_legacy, record, self._clock)

    def change_expiry(
        self, reservation_id: str, expires_at: datetime | None, reference: str
    ) -> Reservation:
        # Safe to retry: the legacy system keeps each change under its REFNO and answers a
        # repeat (same reservation, same expiry) with the reservation, changing nothing.
        change = legacy.expiry_change_to_legacy(reservation_id, expires_at, reference, self._clock)
        record = self._call("ChangeExpiry", True, **change)
        return self._translate(legacy.reservation_from_legacy, record, self._clock)

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        # Safe to retry: the legacy system deduplicates on REFNO.
        payload = legacy.transaction_to_legacy(transaction, self._clock)
        record = self._call("PostTransaction", True, TRN=payload)
        return self._translate(legacy.transaction_from_legacy, record, self._clock)

    def _reservations(self, records: Any) -> list[Reservation]:
        return [
            self._translate(legacy.reservation_from_legacy, r, self._clock) for r in records or []
        ]

    def _call(self, operation: str, idempotent: bool, **arguments: Any) -> Any:
        def once() -> Any:
            log.debug("inventory %s %s", operation, arguments)
            try:
                return self._exchange(operation, arguments)
            except LegacyFault as fault:
                raise error_for_fault(UPSTREAM, fault.message, fault.detail) from None
            except FailedStatus as failed:
                raise error_for_status(UPSTREAM, failed.status) from None
            except (requests.RequestException, UnreadableAnswer, zeep.exceptions.Error) as error:
                raise error_for_transport(UPSTREAM, error) from None

        return self._retry.call(lambda: self._guard(operation, once), idempotent=idempotent)

    def _exchange(self, operation: str, arguments: dict[str, Any]) -> Any:
        """One POST: the envelope zeep builds, the answer read by the operation's reader."""
        envelope = self._client.create_message(
            self._service, operation, **arguments, _soapheaders=_correlation_header()
        )
        response = self._transport.post_xml(self._endpoint, envelope, self._headers[operation])
        return self._readers[operation].read(response.status_code, response.content)

    @staticmethod
    def _translate(translate: Callable[..., T], record: Any, *arguments: Any) -> T:
        if record is None:  # an empty result element: zeep's reading let it through to crash
            raise UpstreamFault(UPSTREAM, "unexpected answer: the result is empty")
        try:
            return translate(record, *arguments)
        except (legacy.LegacyDataError, KeyError, TypeError, AttributeError) as error:
            # AttributeError: a nested record the answer left empty (read as None)
            raise UpstreamFault(UPSTREAM, f"unexpected answer: {error}") from None


def _http_headers(soapaction: str | None) -> dict[str, str]:
    """The headers zeep's SOAP 1.1 binding sends with an operation, in its order."""
    return {"SOAPAction": f'"{soapaction}"' if soapaction else '""',
            "Content-Type": "text/xml; charset=utf-8"}  # fmt: skip


_readers_by_wsdl: dict[tuple[str, int], dict[str, AnswerReader]] = {}


def _answer_readers(location: str, document: Document, max_depth: int) -> dict[str, AnswerReader]:
    """Each operation's answer reader, derived once from zeep's reading of the WSDL."""
    with _documents_lock:
        key = (location, max_depth)
        if key not in _readers_by_wsdl:
            operations = document.bindings[BINDING].all()
            answers = ((name, op.output.body.type) for name, op in operations.items())
            _readers_by_wsdl[key] = readers(answers, NAMESPACE, max_depth, document.types)
        return _readers_by_wsdl[key]
