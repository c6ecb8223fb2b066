"""The Azure AD app roles the gateway knows (SPEC §7)."""

from __future__ import annotations

STAFF = "Reservations.Staff"
MANAGER = "Reservations.Manager"
OWNER = "Reservations.Owner"
ADMIN = "Gateway.Admin"

RESERVATION_ROLES = frozenset({STAFF, MANAGER, OWNER})
"""Roles that may read and reserve; every SOAP operation needs one of them."""
