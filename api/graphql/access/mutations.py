"""Access's mutations: granting and revoking roles. Both answer the user named, so they are
written out, but their input converts itself to the command all the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from api.graphql.common import AnyError, Position, optional_uuid, parse_id, run_command
from api.graphql.context import Context
from api.graphql.enums import Role
from domain.access.commands import GrantRole, RevokeRole
from domain.application import CaseworkApplication as App

RoleCommand = TypeVar("RoleCommand", GrantRole, RevokeRole)
Success = TypeVar("Success", "GrantRoleSuccess", "RevokeRoleSuccess")


@strawberry.input(description="A role for a user, in a school (`schoolId`) or across the trust.")
class RoleGrantInput:
    user_id: str
    role: Role
    trust_id: strawberry.ID
    school_id: strawberry.ID | None = None

    def to_command(self, command: type[RoleCommand]) -> RoleCommand:
        """The grant (``GrantRole``) or revocation (``RevokeRole``) of this role."""
        return command(
            user_id=self.user_id,
            role=self.role.value,
            trust_id=parse_id("trustId", self.trust_id),
            school_id=optional_uuid("schoolId", self.school_id),
        )


@strawberry.type
class GrantRoleSuccess:
    user_id: str
    position: Position


@strawberry.type
class RevokeRoleSuccess:
    user_id: str
    position: Position


# Spelt out rather than made by ``result_union``: these resolvers are written out, and their
# annotations must be types the checker can read.
GrantRoleResult = Annotated[GrantRoleSuccess | AnyError, strawberry.union("GrantRoleResult")]
RevokeRoleResult = Annotated[RevokeRoleSuccess | AnyError, strawberry.union("RevokeRoleResult")]


def _role_change(
    info: Info[Context, None],
    input: RoleGrantInput,
    handle: Callable[[App, RoleCommand], tuple[Any, int]],
    command: type[RoleCommand],
    success: type[Success],
) -> Success | AnyError:
    """Run the grant or revocation ``command`` of the input's role; answer the user named."""

    def run() -> Success:
        _, position = handle(info.context.container.app, input.to_command(command))
        return success(user_id=input.user_id, position=Position(position))

    return run_command(info, run)


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Grant a role. Recorded as an event: who held access when stays on the record."
    )
    def grant_role(self, info: Info[Context, None], input: RoleGrantInput) -> GrantRoleResult:
        return _role_change(info, input, App.grant_role, GrantRole, GrantRoleSuccess)

    @strawberry.mutation(description="Revoke a role. Recorded as an event.")
    def revoke_role(self, info: Info[Context, None], input: RoleGrantInput) -> RevokeRoleResult:
        return _role_change(info, input, App.revoke_role, RevokeRole, RevokeRoleSuccess)
