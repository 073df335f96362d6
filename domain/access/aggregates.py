"""Who may do what, on the record: role grants and revocations are events (issue 2 §5)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Grant, Role


def access_id_for(user_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casework:user:{user_id}")


class UserAccess(CaseworkAggregate):
    """One per user: their grants, and the directory records of which they are the subject.

    Its events carry the tenancy of each grant; the aggregate's own trust and school are those
    of its first grant or link.
    """

    class Enrolled(CaseworkAggregate.Created):
        user_id: str

    class RoleGranted(CaseworkAggregate.Event):
        user_id: str
        role: str

    class RoleRevoked(CaseworkAggregate.Event):
        user_id: str
        role: str

    class RecordLinked(CaseworkAggregate.Event):
        person_id: UUID

    @event(Enrolled)
    def __init__(self, id: UUID, user_id: str, trust_id: UUID, school_id: UUID | None) -> None:
        self.user_id = user_id
        self.trust_id = trust_id
        self.school_id = school_id
        self.grants: set[Grant] = set()
        self.subject_of: set[UUID] = set()

    def grant(self, grant: Grant) -> None:
        if grant in self.grants:
            raise ValidationFailed("role", f"{self.user_id} already holds {grant.role.value} here")
        self._granted(
            user_id=self.user_id,
            role=grant.role.value,
            trust_id=grant.trust_id,
            school_id=grant.school_id,
            actor=current_principal().user_id,
        )

    @event(RoleGranted)
    def _granted(
        self, user_id: str, role: str, trust_id: UUID, school_id: UUID | None, actor: str
    ) -> None:
        # The event's actor is the granter: the policy keeps the grant from their own records.
        self.grants.add(Grant(Role(role), trust_id, school_id, granted_by=actor))

    def revoke(self, grant: Grant) -> None:
        if grant not in self.grants:
            raise ValidationFailed("role", f"{self.user_id} does not hold {grant.role.value} here")
        self._revoked(
            user_id=self.user_id,
            role=grant.role.value,
            trust_id=grant.trust_id,
            school_id=grant.school_id,
        )

    @event(RoleRevoked)
    def _revoked(self, user_id: str, role: str, trust_id: UUID, school_id: UUID | None) -> None:
        self.grants.discard(Grant(Role(role), trust_id, school_id))

    def link_record(self, person_id: UUID, trust_id: UUID, school_id: UUID | None) -> None:
        if person_id not in self.subject_of:
            self._linked(person_id=person_id, trust_id=trust_id, school_id=school_id)

    @event(RecordLinked)
    def _linked(self, person_id: UUID, trust_id: UUID, school_id: UUID | None) -> None:
        self.subject_of.add(person_id)
