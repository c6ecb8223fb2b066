"""Who is calling: the subject, its roles and the owners whose data it may see."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.reservation_rules import Caller

ALL_OWNERS = "*"


@dataclass(frozen=True)
class Principal(Caller):
    """An authenticated caller, as its validated token describes it."""

    @classmethod
    def from_owner_claim(
        cls, subject: str, roles: frozenset[str], owners: frozenset[str]
    ) -> Principal:
        """A principal whose owner scope is the claim's values; ``*`` means every owner."""
        return cls(subject, roles, owners - {ALL_OWNERS}, all_owners=ALL_OWNERS in owners)

    def has_any_role(self, *roles: str) -> bool:
        """True if the caller holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def can_see_owner(self, owner_id: str) -> bool:
        """True if ``owner_id`` lies inside the caller's owner scope."""
        return self.all_owners or owner_id in self.owner_ids
