"""The directory's mutations: each input converts itself to the command it asks for."""

from __future__ import annotations

import datetime

import strawberry

from api.graphql.common import (
    Position,
    command_mutation,
    optional_uuid,
    parse_id,
    result_union,
)
from api.graphql.enums import StaffRole
from domain.application import CaseworkApplication
from domain.directory.commands import (
    LinkParent,
    RecordPupilLeft,
    RecordStaffLeft,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.directory.rules import RELATIONSHIPS


@strawberry.input
class RegisterSchoolInput:
    trust_id: strawberry.ID
    name: str
    urn: str = strawberry.field(description="6 or 7 digit Unique Reference Number.")

    def to_command(self) -> RegisterSchool:
        return RegisterSchool(
            trust_id=parse_id("trustId", self.trust_id), name=self.name, urn=self.urn
        )


@strawberry.type
class RegisterSchoolSuccess:
    school_id: strawberry.ID
    position: Position


@strawberry.input
class RegisterPupilInput:
    school_id: strawberry.ID
    full_name: str
    date_of_birth: datetime.date
    year_group: int = strawberry.field(description="-2 (N1), -1 (N2), 0 (Reception) to 13.")

    def to_command(self) -> RegisterPupil:
        return RegisterPupil(
            school_id=parse_id("schoolId", self.school_id),
            full_name=self.full_name,
            date_of_birth=self.date_of_birth,
            year_group=self.year_group,
        )


@strawberry.type
class RegisterPupilSuccess:
    pupil_id: strawberry.ID
    position: Position


@strawberry.input
class RegisterStaffMemberInput:
    school_id: strawberry.ID
    full_name: str
    role: StaffRole
    user_id: str | None = strawberry.field(
        default=None, description="Their login; they will never see records about themselves."
    )
    started_on: datetime.date | None = None

    def to_command(self) -> RegisterStaffMember:
        return RegisterStaffMember(
            school_id=parse_id("schoolId", self.school_id),
            full_name=self.full_name,
            staff_role=self.role.value,
            user_id=self.user_id,
            started_on=self.started_on,
        )


@strawberry.type
class RegisterStaffMemberSuccess:
    staff_member_id: strawberry.ID
    position: Position


@strawberry.input(
    description="Link an existing parent/carer (`parentId`) or a new one (`fullName`)."
)
class LinkParentInput:
    pupil_id: strawberry.ID
    relationship: str = strawberry.field(description=", ".join(RELATIONSHIPS))
    parental_responsibility: bool
    parent_id: strawberry.ID | None = None
    full_name: str | None = None

    def to_command(self) -> LinkParent:
        return LinkParent(
            pupil_id=parse_id("pupilId", self.pupil_id),
            relationship=self.relationship,
            parental_responsibility=self.parental_responsibility,
            parent_id=optional_uuid("parentId", self.parent_id),
            full_name=self.full_name,
        )


@strawberry.type
class LinkParentSuccess:
    parent_id: strawberry.ID
    position: Position


@strawberry.input
class RecordPupilLeftInput:
    pupil_id: strawberry.ID
    left_on: datetime.date
    destination: str | None = None
    expected_version: int | None = None

    def to_command(self) -> RecordPupilLeft:
        return RecordPupilLeft(
            pupil_id=parse_id("pupilId", self.pupil_id),
            left_on=self.left_on,
            destination=self.destination,
            expected_version=self.expected_version,
        )


@strawberry.type
class RecordPupilLeftSuccess:
    pupil_id: strawberry.ID
    position: Position


@strawberry.input
class RecordStaffLeftInput:
    staff_member_id: strawberry.ID
    left_on: datetime.date
    reason: str | None = None
    expected_version: int | None = None

    def to_command(self) -> RecordStaffLeft:
        return RecordStaffLeft(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            left_on=self.left_on,
            reason=self.reason,
            expected_version=self.expected_version,
        )


@strawberry.type
class RecordStaffLeftSuccess:
    staff_member_id: strawberry.ID
    position: Position


RegisterSchoolResult = result_union("RegisterSchoolResult", RegisterSchoolSuccess)
RegisterPupilResult = result_union("RegisterPupilResult", RegisterPupilSuccess)
RegisterStaffMemberResult = result_union("RegisterStaffMemberResult", RegisterStaffMemberSuccess)
LinkParentResult = result_union("LinkParentResult", LinkParentSuccess)
RecordPupilLeftResult = result_union("RecordPupilLeftResult", RecordPupilLeftSuccess)
RecordStaffLeftResult = result_union("RecordStaffLeftResult", RecordStaffLeftSuccess)


@strawberry.type
class DirectoryMutation:
    register_school = command_mutation(
        CaseworkApplication.register_school,
        RegisterSchoolInput,
        RegisterSchoolResult,
        RegisterSchoolSuccess,
        "Register a school in your trust (trust roles).",
        id_field="school_id",
    )
    register_pupil = command_mutation(
        CaseworkApplication.register_pupil,
        RegisterPupilInput,
        RegisterPupilResult,
        RegisterPupilSuccess,
        "Register a pupil; name and date of birth are sealed.",
        id_field="pupil_id",
    )
    register_staff_member = command_mutation(
        CaseworkApplication.register_staff_member,
        RegisterStaffMemberInput,
        RegisterStaffMemberResult,
        RegisterStaffMemberSuccess,
        "Register an adult working in or for the school.",
        id_field="staff_member_id",
    )
    link_parent = command_mutation(
        CaseworkApplication.link_parent,
        LinkParentInput,
        LinkParentResult,
        LinkParentSuccess,
        "Link a parent or carer to a pupil, with or without parental responsibility.",
        id_field="parent_id",
    )
    record_pupil_left = command_mutation(
        CaseworkApplication.record_pupil_left,
        RecordPupilLeftInput,
        RecordPupilLeftResult,
        RecordPupilLeftSuccess,
        "Record that a pupil left the school.",
        id_field="pupil_id",
    )
    record_staff_left = command_mutation(
        CaseworkApplication.record_staff_left,
        RecordStaffLeftInput,
        RecordStaffLeftResult,
        RecordStaffLeftSuccess,
        "Record that a member of staff left employment.",
        id_field="staff_member_id",
    )
