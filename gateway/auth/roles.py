"""The Azure AD app roles the gateway knows (SPEC §7)."""

from __future__ import annotations

STAFF = "Reservations.Staff"
MANAGER = "Reservations.Manager"
OWNER = "Reservations.Owner"
ADMIN = "Gateway.Admin"

ALL_ROLES = frozenset({STAFF, MANAGER, OWNER, ADMIN})
OVERRIDERS = frozenset({MANAGER, OWNER})
"""Roles that may override insufficient stock and release others' reservations."""
RESERVATION_ROLES = frozenset({STAFF, MANAGER, OWNER})
"""Roles that may read and reserve; every SOAP operation needs one of them."""
