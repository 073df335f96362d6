"""Access's object types, each built from what it shows: a principal's grants, a grant's
view row, an access-log entry."""

from __future__ import annotations

import datetime

import strawberry

from api import access_log
from api.access_log import AccessOutcome
from api.graphql.common import ERASED_LOGIN, Opened, optional_id, to_id
from api.graphql.enums import Role
from domain.shared.policy import Grant
from projections.access.queries import GrantRow


@strawberry.type(description="A role held in a school (`schoolId` set) or across a trust.")
class RoleHeld:
    role: Role
    trust_id: strawberry.ID
    school_id: strawberry.ID | None

    @classmethod
    def of(cls, grant: Grant) -> RoleHeld:
        return cls(
            role=grant.role,  # type: ignore[arg-type]
            trust_id=to_id(grant.trust_id),
            school_id=optional_id(grant.school_id),
        )


@strawberry.type(description="Who you are and what you hold.")
class Me:
    user_id: str
    name: str | None
    roles: list[RoleHeld]


@strawberry.type(description="A grant as recorded: when and by whom it was made and revoked.")
class RoleGrant:
    user_id: str | None = strawberry.field(description=ERASED_LOGIN)
    role: Role
    trust_id: strawberry.ID
    school_id: strawberry.ID | None
    granted_at: datetime.datetime
    granted_by: str | None = strawberry.field(description=ERASED_LOGIN)
    revoked_at: datetime.datetime | None
    revoked_by: str | None = strawberry.field(description="Null if not revoked. " + ERASED_LOGIN)

    @classmethod
    def from_row(cls, row: GrantRow, opened: Opened) -> RoleGrant:
        return cls(
            user_id=opened.text(row.user_id),
            role=Role(row.role),
            trust_id=to_id(row.trust_id),
            school_id=optional_id(row.school_id),
            granted_at=row.granted_at,
            granted_by=opened.text(row.granted_by),
            revoked_at=row.revoked_at,
            revoked_by=opened.text(row.revoked_by),
        )


@strawberry.type(description="One read of a restricted record, or one refused attempt on it.")
class AccessLogEntry:
    id: strawberry.ID
    at: datetime.datetime
    user_id: str | None = strawberry.field(description="Who read it. " + ERASED_LOGIN)
    action: str = strawberry.field(
        description=(
            "What was asked: `view` (one record), `list` (in a listing), another read, or the "
            "name of the mutation refused."
        )
    )
    record_type: str
    record_id: strawberry.ID
    trust_id: strawberry.ID
    school_id: strawberry.ID | None
    outcome: AccessOutcome = strawberry.field(
        description="`READ`, or `REFUSED`: the attempt was refused."
    )

    @classmethod
    def from_row(cls, entry: access_log.AccessLogEntry, opened: Opened) -> AccessLogEntry:
        return cls(
            id=to_id(entry.entry_id),
            at=entry.at,
            user_id=opened.text(entry.user_id),
            action=entry.action,
            record_type=entry.record_type,
            record_id=to_id(entry.record_id),
            trust_id=to_id(entry.trust_id),
            school_id=optional_id(entry.school_id),
            outcome=entry.outcome,
        )
