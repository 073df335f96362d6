"""Role grants and revocations, and resolving who a user is for the policy."""

from __future__ import annotations

from uuid import UUID

from domain.access.aggregates import UserAccess, access_id_for
from domain.access.policy import ROLE_SCOPES, Action, Grant, Role, Target, authorise
from domain.directory.aggregates import School, Trust
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import NotAuthorised, ValidationFailed
from domain.shared.validation import required_text


class AccessHandlers(CaseworkBase):
    def _grant_for(self, role: str, trust_id: UUID, school_id: UUID | None) -> Grant:
        """The grant named, once the caller is authorised to grant or revoke there (before any
        other check: a refusal tells nothing about the school named)."""
        trust = self.get(Trust, trust_id, "Trust")
        action = Action.GRANT_TRUST_ROLE if school_id is None else Action.GRANT_SCHOOL_ROLE
        authorise(current_principal(), action, Target(trust.id, school_id))
        try:
            parsed = Role(role)
        except ValueError:
            raise ValidationFailed("role", f"must be one of {', '.join(Role)}") from None
        grant = Grant(parsed, trust.id, school_id)
        if grant.scope not in ROLE_SCOPES[parsed]:
            scopes = " or ".join(sorted(ROLE_SCOPES[parsed]))
            field = "schoolId" if school_id is not None else "trustId"
            raise ValidationFailed(field, f"{parsed.value} is held at {scopes} level")
        if school_id is not None and self.school_target(school_id).trust_id != trust.id:
            raise ValidationFailed("schoolId", "this school is not in that trust")
        return grant

    def grant_role(
        self, user_id: str, role: str, trust_id: UUID, school_id: UUID | None = None
    ) -> tuple[UUID, int]:
        user_id = required_text("userId", user_id)
        grant = self._grant_for(role, trust_id, school_id)
        principal = current_principal()
        if user_id == principal.user_id:
            raise NotAuthorised("You cannot grant a role to yourself")
        access = self.user_access(user_id, grant.trust_id, grant.school_id)
        access.grant(grant)
        return access.id, self.record(access, *self._headship(grant, user_id, appointed=True))

    def revoke_role(
        self, user_id: str, role: str, trust_id: UUID, school_id: UUID | None = None
    ) -> tuple[UUID, int]:
        user_id = required_text("userId", user_id)
        grant = self._grant_for(role, trust_id, school_id)
        access = self.get(UserAccess, access_id_for(user_id), "User")
        access.revoke(grant)
        return access.id, self.record(access, *self._headship(grant, user_id, appointed=False))

    def _headship(self, grant: Grant, user_id: str, appointed: bool) -> list[School]:
        """A school's headteachers follow its headteacher grants, in the same transaction:
        allegations are routed by them."""
        if grant.role is not Role.HEADTEACHER or grant.school_id is None:
            return []
        school = self.get(School, grant.school_id, "School")
        if appointed:
            school.appoint_headteacher(user_id)
        else:
            school.stand_down_headteacher(user_id)
        return [school]
