"""GraphQL for identity and access: `me`, role grants, and the DPO's access log."""

import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api import access_log
from api.graphql.common import (
    ERASED_LOGIN,
    Connection,
    NotAuthorisedError,
    NotFoundError,
    Position,
    ReadYourWrites,
    ValidationError,
    VersionConflictError,
    check_first,
    connection,
    decode_cursor,
    parse_id,
    run_command,
    text_or_null,
)
from api.graphql.context import Context
from api.graphql.enums import Role
from domain.access.policy import Action
from domain.shared.sealing import Erased
from projections.access import queries
from projections.access.queries import GrantRow


@strawberry.type(description="A role held in a school (`schoolId` set) or across a trust.")
class RoleHeld:
    role: Role
    trust_id: strawberry.ID
    school_id: strawberry.ID | None


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
    def of(cls, row: GrantRow, logins: "list[str | Erased | None]") -> "RoleGrant":
        """``logins``: the row's grantee, granter and revoker, opened."""
        user_id, granted_by, revoked_by = (text_or_null(v) for v in logins)
        return cls(
            user_id=user_id,
            role=Role(row.role),
            trust_id=strawberry.ID(str(row.trust_id)),
            school_id=strawberry.ID(str(row.school_id)) if row.school_id else None,
            granted_at=row.granted_at,
            granted_by=granted_by,
            revoked_at=row.revoked_at,
            revoked_by=revoked_by,
        )


@strawberry.type(description="One read of a restricted record.")
class AccessLogEntry:
    id: strawberry.ID
    at: datetime.datetime
    user_id: str | None = strawberry.field(description="Who read it. " + ERASED_LOGIN)
    action: str = strawberry.field(description="`view` (one record) or `list` (in a listing).")
    record_type: str
    record_id: strawberry.ID
    trust_id: strawberry.ID
    school_id: strawberry.ID | None


@strawberry.type
class AccessQuery:
    @strawberry.field(description="The signed-in user and the roles they hold now.")
    def me(self, info: Info[Context, None]) -> Me:
        ctx = info.context
        principal = ctx.principal
        roles = sorted(principal.grants, key=lambda g: (str(g.trust_id), str(g.school_id), g.role))
        return Me(
            user_id=principal.user_id,
            name=ctx.identity.name,
            roles=[
                RoleHeld(
                    role=g.role,
                    trust_id=strawberry.ID(str(g.trust_id)),
                    school_id=strawberry.ID(str(g.school_id)) if g.school_id else None,
                )
                for g in roles
            ],
        )

    @strawberry.field(
        description="Role grants in your reach, as recorded (headteacher, trust lead, DPO).",
        extensions=[ReadYourWrites("access")],
    )
    def role_grants(
        self,
        info: Info[Context, None],
        include_revoked: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RoleGrant]:
        ctx = info.context
        page = queries.grants(
            ctx.conn,
            ctx.visibility(Action.VIEW_ROLES),
            include_revoked,
            check_first(first),
            decode_cursor(after),
        )
        opened = ctx.open_all(
            [v for r in page.items for v in (r.user_id, r.granted_by, r.revoked_by)]
        )
        return connection(
            page, [RoleGrant.of(r, opened[3 * i : 3 * i + 3]) for i, r in enumerate(page.items)]
        )

    @strawberry.field(
        description="Reads of restricted records in your reach (DPO only), oldest first."
    )
    def access_log(
        self,
        info: Info[Context, None],
        user_id: str | None = None,
        record_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AccessLogEntry]:
        ctx = info.context
        page = access_log.entries(
            ctx.conn,
            ctx.visibility(Action.VIEW_ACCESS_LOG),
            None if user_id is None else ctx.container.blind_index.login(user_id),
            parse_id("recordId", record_id) if record_id is not None else None,
            check_first(first),
            decode_cursor(after),
        )
        readers = ctx.open_all([e.user_id for e in page.items])
        return connection(
            page,
            [
                AccessLogEntry(
                    id=strawberry.ID(str(e.entry_id)),
                    at=e.at,
                    user_id=text_or_null(reader),
                    action=e.action,
                    record_type=e.record_type,
                    record_id=strawberry.ID(str(e.record_id)),
                    trust_id=strawberry.ID(str(e.trust_id)),
                    school_id=strawberry.ID(str(e.school_id)) if e.school_id else None,
                )
                for e, reader in zip(page.items, readers, strict=True)
            ],
        )


@strawberry.input(description="A role for a user, in a school (`schoolId`) or across the trust.")
class RoleGrantInput:
    user_id: str
    role: Role
    trust_id: strawberry.ID
    school_id: strawberry.ID | None = None


@strawberry.type
class GrantRoleSuccess:
    user_id: str
    position: Position


@strawberry.type
class RevokeRoleSuccess:
    user_id: str
    position: Position


GrantRoleResult = Annotated[
    GrantRoleSuccess | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("GrantRoleResult"),
]
RevokeRoleResult = Annotated[
    RevokeRoleSuccess | ValidationError | NotFoundError | NotAuthorisedError | VersionConflictError,
    strawberry.union("RevokeRoleResult"),
]


def _scope(input: RoleGrantInput) -> tuple[str, str, object, object]:
    school = parse_id("schoolId", input.school_id) if input.school_id is not None else None
    return input.user_id, input.role.value, parse_id("trustId", input.trust_id), school


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Grant a role. Recorded as an event: who held access when stays on the record."
    )
    def grant_role(self, info: Info[Context, None], input: RoleGrantInput) -> GrantRoleResult:
        def command() -> GrantRoleSuccess:
            _, position = info.context.container.app.grant_role(*_scope(input))  # type: ignore[arg-type]
            return GrantRoleSuccess(user_id=input.user_id, position=Position(position))

        return run_command(info, command)

    @strawberry.mutation(description="Revoke a role. Recorded as an event.")
    def revoke_role(self, info: Info[Context, None], input: RoleGrantInput) -> RevokeRoleResult:
        def command() -> RevokeRoleSuccess:
            _, position = info.context.container.app.revoke_role(*_scope(input))  # type: ignore[arg-type]
            return RevokeRoleSuccess(user_id=input.user_id, position=Position(position))

        return run_command(info, command)
