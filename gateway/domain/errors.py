"""Domain and port errors. Each carries the stable code of SPEC §6; HTTP and SOAP map codes."""

from __future__ import annotations

from typing import Any, ClassVar

STATUS_BY_CODE: dict[str, int] = {
    "request.invalid": 400,
    "inventory.reservation.invalid_quantity": 400,
    "inventory.reservation.invalid_type": 400,
    "inventory.reservation.invalid_expiry": 400,
    "inventory.item.not_stock_tracked": 400,
    "inventory.reservation.invalid_split": 400,
    "credential.invalid": 400,
    "auth.unauthenticated": 401,
    "auth.forbidden": 403,
    "inventory.reservation.invalid_owner": 403,
    "workorder.not_found": 404,
    "recipe.not_found": 404,
    "inventory.item.not_found": 404,
    "inventory.reservation.not_found": 404,
    "inventory.reservation.target_not_found": 404,
    "inventory.backorder.not_found": 404,
    "request.not_found": 404,
    "credential.not_found": 404,
    "subscription.not_found": 404,
    "request.method_not_allowed": 405,
    "inventory.reservation.insufficient_stock": 409,
    "inventory.reservation.already_released": 409,
    "inventory.reservation.already_closed": 409,
    "inventory.reservation.over_consume": 409,
    "inventory.reservation.not_expired": 409,
    "inventory.backorder.not_open": 409,
    "idempotency.in_progress": 409,
    "workorder.update_in_progress": 409,
    "inventory.source.change_in_progress": 409,
    "workorder.precondition_failed": 412,
    "credential.rotation_pending": 409,
    "credential.nothing_to_retire": 409,
    "credential.in_use": 409,
    "credential.no_master_key": 409,
    "subscription.disabled": 409,
    "subscription.limit_reached": 409,
    "request.too_large": 413,
    "request.uri_too_long": 414,
    "request.headers_too_large": 431,
    "auth.throttled": 429,
    "request.unsupported_media_type": 415,
    "workorder.invalid_batch_quantity": 422,
    "workorder.start_not_in_future": 422,
    "workorder.material_not_in_recipe": 422,
    "idempotency.key_reused": 422,
    "credential.rejected": 422,
    "subscription.destination_refused": 422,
    "upstream.fault": 502,
    "upstream.unavailable": 503,
    "upstream.timeout": 504,
    "internal.error": 500,
}
"""The HTTP status of every code (SPEC §6), beside the codes: REST answers with it, SOAP picks
the fault side (Client below 500) from it."""


class GatewayError(Exception):
    """Root of every error the gateway answers with a code rather than a 500."""

    code: ClassVar[str] = "internal.error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class RequestInvalid(GatewayError):
    code = "request.invalid"
    title = "The request is not valid"

    def __init__(self, errors: dict[str, Any], detail: str | None = None) -> None:
        super().__init__(detail or "One or more fields are invalid", errors=errors)
        self.errors = errors


class UnknownWarehouse(RequestInvalid):
    """The legacy system knows no such warehouse (legacy fault 120)."""

    def __init__(self, detail: str | None = None, **_: Any) -> None:
        super().__init__({"warehouseId": ["unknown warehouse"]}, detail)


class Unauthenticated(GatewayError):
    code = "auth.unauthenticated"
    title = "Authentication required"


class Forbidden(GatewayError):
    code = "auth.forbidden"
    title = "Not allowed"


class WorkOrderNotFound(GatewayError):
    code = "workorder.not_found"
    title = "Work order not found"


class RecipeNotFound(GatewayError):
    code = "recipe.not_found"
    title = "Recipe not found"


class ItemNotFound(GatewayError):
    code = "inventory.item.not_found"
    title = "Item not found"


class ItemNotStockTracked(GatewayError):
    code = "inventory.item.not_stock_tracked"
    title = "Item is not stock-tracked"


class ReservationNotFound(GatewayError):
    code = "inventory.reservation.not_found"
    title = "Reservation not found"


class InsufficientStock(GatewayError):
    code = "inventory.reservation.insufficient_stock"
    title = "Insufficient stock"


class InvalidSplit(GatewayError):
    """A create split across warehouses that is not well formed (decision 172)."""

    code = "inventory.reservation.invalid_split"
    title = "The split across warehouses is not valid"


class ReservationAlreadyReleased(GatewayError):
    code = "inventory.reservation.already_released"
    title = "Reservation already released"


class ReservationAlreadyClosed(GatewayError):
    code = "inventory.reservation.already_closed"
    title = "Reservation already closed"


class ConsumeExceedsReserved(GatewayError):
    """A consume of more than the reservation holds (legacy fault 245); nothing was taken."""

    code = "inventory.reservation.over_consume"
    title = "Quantity exceeds what is reserved"


class ReservationNotExpired(GatewayError):
    """A release for expiry of a reservation whose expiry is absent or not yet passed (legacy
    fault 270): its expiry was changed after it was read as due."""

    code = "inventory.reservation.not_expired"
    title = "Reservation has not expired"


class BackorderNotFound(GatewayError):
    code = "inventory.backorder.not_found"
    title = "Backorder not found"


class BackorderNotOpen(GatewayError):
    code = "inventory.backorder.not_open"
    title = "Backorder no longer open"


class InvalidQuantity(GatewayError):
    code = "inventory.reservation.invalid_quantity"
    title = "Invalid quantity"


class InvalidReservationType(GatewayError):
    code = "inventory.reservation.invalid_type"
    title = "Invalid reservation type"


class UpstreamError(GatewayError):
    """An upstream system failed; ``upstream`` names which one."""

    def __init__(self, upstream: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, upstream=upstream, **extra)
        self.upstream = upstream


class UpstreamFault(UpstreamError):
    code = "upstream.fault"
    title = "The upstream system reported an error"


class UpstreamUnavailable(UpstreamError):
    code = "upstream.unavailable"
    title = "The upstream system is unavailable"


class UpstreamTimeout(UpstreamError):
    code = "upstream.timeout"
    title = "The upstream system did not answer in time"


class IdempotencyInProgress(GatewayError):
    code = "idempotency.in_progress"
    title = "A request with this Idempotency-Key is still running"


class IdempotencyKeyReused(GatewayError):
    code = "idempotency.key_reused"
    title = "This Idempotency-Key was used with another request"


class ReferenceReused(IdempotencyKeyReused):
    """The legacy system holds the write's reference for other data (legacy fault 260): the
    caller's key or SOAP reference was used before for another request."""

    title = "This key or reference was used with another request"


class InvalidExpiry(GatewayError):
    code = "inventory.reservation.invalid_expiry"
    title = "expiresAt must lie in the future"


class InvalidOwner(GatewayError):
    code = "inventory.reservation.invalid_owner"
    title = "The owner is outside your scope"


class ReservationTargetNotFound(GatewayError):
    code = "inventory.reservation.target_not_found"
    title = "The reservation's target does not exist"


class WorkOrderInvalidBatchQuantity(GatewayError):
    code = "workorder.invalid_batch_quantity"
    title = "Batch quantity does not fit the recipe"


class StartNotInFuture(GatewayError):
    code = "workorder.start_not_in_future"
    title = "plannedStart must lie in the future"


class MaterialNotInRecipe(GatewayError):
    code = "workorder.material_not_in_recipe"
    title = "The recipe does not allow this material in that operation"


class CredentialNotFound(GatewayError):
    code = "credential.not_found"
    title = "No such credential"


class CredentialRejected(GatewayError):
    """The identity provider refused the new credential; ``provider_error`` says why."""

    code = "credential.rejected"
    title = "The identity provider refused the new credential"

    def __init__(self, provider_error: str, detail: str | None = None) -> None:
        super().__init__(detail, providerError=provider_error)
        self.provider_error = provider_error


class CredentialInvalid(GatewayError):
    code = "credential.invalid"
    title = "The credential given cannot be used"


class RotationPending(GatewayError):
    code = "credential.rotation_pending"
    title = "The previous credential must be retired first"


class NothingToRetire(GatewayError):
    code = "credential.nothing_to_retire"
    title = "There is no previous credential to retire"


class CredentialInUse(GatewayError):
    code = "credential.in_use"
    title = "A gateway process still uses the credential"


class MasterKeyMissing(GatewayError):
    code = "credential.no_master_key"
    title = "No master key is configured"


class SubscriptionNotFound(GatewayError):
    code = "subscription.not_found"
    title = "No such subscription"


class SubscriptionDisabled(GatewayError):
    code = "subscription.disabled"
    title = "The subscription is disabled"


class SubscriptionLimitReached(GatewayError):
    code = "subscription.limit_reached"
    title = "As many subscriptions are active as the gateway allows"


class DestinationRefused(GatewayError):
    """A webhook URL the outbound policy does not allow (scheme, host or resolved address)."""

    code = "subscription.destination_refused"
    title = "The webhook destination is not allowed"


class Throttled(GatewayError):
    """Too many failed logins from this client or address (or too many at once): try later."""

    code = "auth.throttled"
    title = "Too many failed logins"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(
            detail or "Too many failed logins; try again later", retry_after=retry_after
        )
        self.retry_after = retry_after


class WorkOrderUpdateInProgress(GatewayError):
    code = "workorder.update_in_progress"
    title = "Another update of this work order is running"


class SourceChangeInProgress(GatewayError):
    code = "inventory.source.change_in_progress"
    title = "Another change of this source document's reservations is running"


class WorkOrderChanged(GatewayError):
    code = "workorder.precondition_failed"
    title = "The work order changed since it was read"


def error_for_code(code: str, detail: str) -> GatewayError:
    """The error a stored code stands for (a finished write plan's answer, replayed)."""
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        kind = pending.pop()
        if kind.code == code:
            error = kind.__new__(kind)
            GatewayError.__init__(error, detail)
            if isinstance(error, RequestInvalid):
                error.errors = {}
            return error
        pending.extend(kind.__subclasses__())
    return GatewayError(detail)
