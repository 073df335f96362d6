"""Opening a pupil's or a staff member's record for a command: the one look-up every feature
uses, so a refusal on either reads the same (an unknown id to whoever may not see the record)."""

from __future__ import annotations

from uuid import UUID

from domain.directory.aggregates import Pupil, StaffMember
from domain.shared.base_app import CaseworkBase
from domain.shared.policy import Action


def open_pupil(
    app: CaseworkBase, pupil_id: UUID, action: Action, expected_version: int | None = None
) -> Pupil:
    return app.open(Pupil, pupil_id, "Pupil", action, expected_version, view=Action.VIEW_PUPIL)


def open_staff(
    app: CaseworkBase, staff_member_id: UUID, action: Action, expected_version: int | None = None
) -> StaffMember:
    return app.open(
        StaffMember,
        staff_member_id,
        "Staff member",
        action,
        expected_version,
        view=Action.VIEW_STAFF,
    )
