"""Access's mutations: granting and revoking roles. Both answer the user named (not a record's
id), so they answer by ``_role_change``; their input converts itself to the command all the
same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from api.graphql.common import (
    Position,
    answering_mutation,
    optional_uuid,
    parse_id,
    result_union,
)
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


GrantRoleResult = result_union("GrantRoleResult", GrantRoleSuccess)
RevokeRoleResult = result_union("RevokeRoleResult", RevokeRoleSuccess)


def _role_change(
    handle: Callable[[App, RoleCommand], tuple[Any, int]],
    command: type[RoleCommand],
    success: type[Success],
) -> Callable[[App, RoleGrantInput], Success]:
    """Run the grant or revocation ``command`` of the input's role; answer the user named."""

    def answer(app: App, input: RoleGrantInput) -> Success:
        _, position = handle(app, input.to_command(command))
        return success(user_id=input.user_id, position=Position(position))

    return answer


@strawberry.type
class AccessMutation:
    grant_role = answering_mutation(
        _role_change(App.grant_role, GrantRole, GrantRoleSuccess),
        RoleGrantInput,
        GrantRoleResult,
        "Grant a role. Recorded as an event: who held access when stays on the record.",
    )
    revoke_role = answering_mutation(
        _role_change(App.revoke_role, RevokeRole, RevokeRoleSuccess),
        RoleGrantInput,
        RevokeRoleResult,
        "Revoke a role. Recorded as an event.",
    )
