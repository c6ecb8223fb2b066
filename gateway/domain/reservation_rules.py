"""Rules for reserving (SPEC §5.3, §7): validation, override and who may change what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from gateway.domain.errors import (
    Forbidden,
    InvalidExpiry,
    InvalidOwner,
    InvalidQuantity,
    InvalidReservationType,
    RequestInvalid,
)
from gateway.domain.model import (
    DEFAULT_PRIORITY,
    Reservation,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)

OVERRIDING_ROLES = frozenset({"Reservations.Manager", "Reservations.Owner"})


@dataclass(frozen=True)
class Caller:
    """Who asks, as far as the rules care: identity, roles and owner scope."""

    subject: str
    roles: frozenset[str]
    owner_ids: frozenset[str]
    all_owners: bool = False

    def can_see(self, owner_id: str) -> bool:
        return self.all_owners or owner_id in self.owner_ids

    @property
    def may_override(self) -> bool:
        return not self.roles.isdisjoint(OVERRIDING_ROLES)

    def only_owner(self) -> str | None:
        """The owner to assume when a request names none: the caller's one owner, if single."""
        return next(iter(self.owner_ids)) if len(self.owner_ids) == 1 else None


@dataclass(frozen=True)
class ReservationDraft:
    """A reservation as a caller asked for it, before any rule was applied."""

    item_sku_id: str
    warehouse_id: str
    quantity: Decimal
    type: str
    source_type: str
    source_id: str
    owner_id: str | None = None
    priority: int = DEFAULT_PRIORITY
    uom: str | None = None
    location: str | None = None
    lot: str | None = None
    expires_at: datetime | None = None
    override: bool = False
    allow_partial: bool = False
    """Reserve what is available and backorder the rest (decision 170)."""


def reservation_request(
    draft: ReservationDraft,
    caller: Caller,
    reference: str,
    now: datetime,
    overrides_allowed: bool,
) -> ReservationRequest:
    """The request to send upstream, or the error that says why not."""
    if draft.quantity <= 0:
        raise InvalidQuantity("Quantity must be greater than 0")
    check_legacy_quantity(draft.quantity)
    reservation_type = _enum(ReservationType, draft.type, InvalidReservationType)
    source_type = _source_type(draft.source_type)
    if draft.expires_at is not None and draft.expires_at <= now:
        raise InvalidExpiry("expiresAt must lie in the future")
    owner_id = draft.owner_id or caller.only_owner()
    if owner_id is None:
        raise RequestInvalid({"ownerId": ["required when your scope has several owners"]})
    if not caller.can_see(owner_id):
        raise InvalidOwner(f"Owner {owner_id} is outside your scope")
    return ReservationRequest(
        reference=reference,
        item_sku_id=draft.item_sku_id,
        warehouse_id=draft.warehouse_id,
        quantity=draft.quantity,
        type=reservation_type,
        source=Source(source_type, draft.source_id),
        owner_id=owner_id,
        priority=draft.priority,
        uom=draft.uom,
        location=draft.location,
        lot=draft.lot,
        expires_at=draft.expires_at,
        created_by=caller.subject,
        override=draft.override and caller.may_override and overrides_allowed,
    )


def ensure_may_change(reservation: Reservation, caller: Caller) -> None:
    """Staff change their own reservations; Managers and Owners anyone's in their scope."""
    if caller.may_override or reservation.created_by == caller.subject:
        return
    raise Forbidden("Only a Manager or Owner may change another caller's reservation")


def _enum(
    kind: type[ReservationType], value: str, error: type[InvalidReservationType]
) -> ReservationType:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise error(f"type must be one of {allowed}") from None


def _source_type(value: str, field: str = "source.type") -> SourceType:
    try:
        return SourceType(value)
    except ValueError:
        allowed = ", ".join(member.value for member in SourceType)
        raise RequestInvalid({field: [f"must be one of {allowed}"]}) from None


def source_type(value: str, field: str) -> SourceType:
    """A source type named in ``field`` (a path, a query), else request.invalid."""
    return _source_type(value, field)


EARLIEST_INSTANT = datetime(1900, 1, 2, tzinfo=UTC)
LATEST_INSTANT = datetime(9999, 12, 30, tzinfo=UTC)
"""A day inside the legacy YYYYMMDDHHMMSS years: any plant's offset (and −59 s) stays inside."""


def legacy_instant_fits(moment: datetime) -> bool:
    """Whether an aware instant can be written as a legacy stamp in any plant's zone."""
    try:
        return EARLIEST_INSTANT <= moment <= LATEST_INSTANT
    except OverflowError:  # an offset that takes the instant past year 1 or 9999
        return False


LEGACY_INTEGER_DIGITS = 10
LEGACY_FRACTION_DIGITS = 3
"""The legacy quantity fields (QTY, QTYOH, QTYRSV) are fixed-point DECIMAL(13, 3)."""
LEGACY_QUANTITY_MAX = Decimal(10) ** LEGACY_INTEGER_DIGITS - Decimal("0.001")


def check_legacy_quantity(value: Decimal, name: str = "quantity") -> None:
    """A quantity the legacy fields can hold exactly, or InvalidQuantity naming the bounds."""
    if (
        not value.is_finite()
        or _integer_digits(value) > LEGACY_INTEGER_DIGITS
        or (_fraction_digits(value) > LEGACY_FRACTION_DIGITS)
    ):
        raise InvalidQuantity(
            f"{name} must have at most {LEGACY_INTEGER_DIGITS} integer and "
            f"{LEGACY_FRACTION_DIGITS} fraction digits (at most {LEGACY_QUANTITY_MAX})"
        )


def _integer_digits(value: Decimal) -> int:
    return max(value.adjusted() + 1, 0)  # exact for any Decimal: no context, no rounding


def _fraction_digits(value: Decimal) -> int:
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by the caller
    significant = len(digits)
    while exponent < 0 and significant > 1 and digits[significant - 1] == 0:
        significant, exponent = significant - 1, exponent + 1
    return max(-exponent, 0)
