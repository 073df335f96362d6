"""Role grants and revocations, and resolving who a user is for the policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from uuid import UUID

from eventsourcing.persistence import Recording

from domain.access.aggregates import UserAccess, access_id_for
from domain.access.commands import GrantRole, RevokeRole
from domain.directory.aggregates import School, Trust
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import ROLE_SCOPES, Action, Grant, Principal, Role, Target, authorise
from domain.shared.sealing import Keyring
from domain.shared.validation import required_text


class AccessHandlers(CaseworkBase):
    def __init__(self, keyring: Keyring, env: Mapping[str, str] | None = None) -> None:
        self._access_watchers: list[Callable[[set[UUID]], None]] = []
        super().__init__(keyring, env)

    def on_access_changed(self, watcher: Callable[[set[UUID]], None]) -> None:
        """Call ``watcher`` with the ids of the user-access records (``access_id_for``) each
        save changed, once it is committed: whoever keeps principals can drop the stale ones."""
        self._access_watchers.append(watcher)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        changed = {
            r.domain_event.originator_id
            for r in recordings
            if isinstance(r.domain_event, UserAccess.Event)
        }
        if changed:
            for watcher in self._access_watchers:
                watcher(changed)

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

    def grant_role(self, command: GrantRole) -> tuple[UUID, int]:
        user_id = required_text("userId", command.user_id)
        grant = self._grant_for(command.role, command.trust_id, command.school_id)
        principal = current_principal()
        if user_id == principal.user_id:
            raise NotAuthorised("You cannot grant a role to yourself")
        access = self.user_access(user_id, grant.trust_id, grant.school_id)
        access.grant(grant)
        return access.id, self.record(access, *self._headship(grant, user_id, appointed=True))

    def revoke_role(self, command: RevokeRole) -> tuple[UUID, int]:
        user_id = required_text("userId", command.user_id)
        grant = self._grant_for(command.role, command.trust_id, command.school_id)
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

    def user_access(self, user_id: str, trust_id: UUID, school_id: UUID | None) -> UserAccess:
        access_id = access_id_for(user_id)
        if access_id in self.repository:
            return self.get(UserAccess, access_id, "User")
        return UserAccess(id=access_id, user_id=user_id, trust_id=trust_id, school_id=school_id)

    def linked_login(
        self, user_id: str, person_id: UUID, trust_id: UUID, school_id: UUID | None
    ) -> UserAccess:
        access = self.user_access(user_id, trust_id, school_id)
        access.link_record(person_id, trust_id, school_id)
        return access

    def principal_for(self, user_id: str) -> Principal:
        """Who ``user_id`` is now, from the record of grants: the authoritative source.

        Each grant carries the records its access flows from the subject of: those of its
        granter, and of whoever granted the granter's roles, back along every chain of grants.
        The policy keeps a grant from reaching those records, so a subject can appoint no
        reader of their own case, directly or through someone they appointed. A granter who
        holds several roles passes on the records behind all of them (the grant does not say
        which role it was made under): stricter, never looser.
        """
        access = self._access_of(user_id)
        if access is None:
            return Principal(user_id=user_id)
        upstream: dict[str, frozenset[UUID]] = {user_id: frozenset(access.subject_of)}
        for grant in access.grants:
            if grant.granted_by:
                self._upstream_subjects(grant.granted_by, upstream)
        return Principal(
            user_id=user_id,
            grants=frozenset(
                replace(g, granter_subjects=upstream[g.granted_by]) if g.granted_by else g
                for g in access.grants
            ),
            subject_of=upstream[user_id],
            granters=frozenset(upstream) - {user_id},
        )

    def _upstream_subjects(self, login: str, seen: dict[str, frozenset[UUID]]) -> frozenset[UUID]:
        """The records ``login`` is the subject of, and those of everyone up the chains of grants
        that gave ``login`` its roles. ``seen`` holds what is known, so a circle of grants ends."""
        if login in seen:
            return seen[login]
        seen[login] = frozenset()
        access = self._access_of(login)
        if access is None:  # the operator, or a login never granted anything
            return seen[login]
        found = set(access.subject_of)
        for grant in access.grants:
            if grant.granted_by:
                found |= self._upstream_subjects(grant.granted_by, seen)
        seen[login] = frozenset(found)
        return seen[login]

    def _access_of(self, user_id: str) -> UserAccess | None:
        try:
            return self.get(UserAccess, access_id_for(user_id), "User", read_only=True)
        except NotFound:
            return None
