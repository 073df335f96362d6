"""Directory commands: schools and people. Each authorises, validates, then records events."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID, uuid4

from domain.directory.aggregates import (
    ParentCarer,
    Pupil,
    School,
    StaffMember,
    StaffRole,
    Trust,
    school_id_for_urn,
)
from domain.directory.commands import (
    CreateTrust,
    LinkParent,
    RecordPupilLeft,
    RecordStaffLeft,
    RegisterPupil,
    RegisterSchool,
    RegisterStaffMember,
)
from domain.directory.opening import open_pupil, open_staff
from domain.directory.rules import (
    LEAVING_REASON_MAX,
    RELATIONSHIPS,
    is_pupil_age,
    is_relationship,
    is_year_group,
    school_target,
)
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Action, Target, authorise
from domain.shared.sealing import Keyring
from domain.shared.validation import (
    choice,
    not_in_future,
    optional_text,
    pattern,
    required_text,
    today_utc,
)


class DirectoryHandlers(CaseworkBase):
    def __init__(self, keyring: Keyring, env: Mapping[str, str] | None = None) -> None:
        self._school_trusts: dict[UUID, UUID] = {}
        super().__init__(keyring, env)

    def create_trust(self, command: CreateTrust) -> tuple[UUID, int]:
        """Provision a trust. Only the command-line operator does this."""
        principal = current_principal()
        if not principal.is_operator:
            raise NotAuthorised("Trusts are provisioned by the operator")
        trust_id = uuid4()
        trust = Trust(name=required_text("name", command.name), trust_id=trust_id, id=trust_id)
        return trust.id, self.record(trust)

    def register_school(self, command: RegisterSchool) -> tuple[UUID, int]:
        trust = self.get(Trust, command.trust_id, "Trust")
        authorise(current_principal(), Action.REGISTER_SCHOOL, Target(trust.id))
        name = required_text("name", command.name)
        urn = pattern("urn", command.urn, r"\d{6,7}", "a 6 or 7 digit Unique Reference Number")
        school_id = school_id_for_urn(urn)
        if school_id in self.repository:
            raise ValidationFailed("urn", f"a school with URN {urn} is already registered")
        school = School(name=name, urn=urn, trust_id=trust.id, school_id=school_id, id=school_id)
        return school.id, self.record(school)

    def register_pupil(self, command: RegisterPupil) -> tuple[UUID, int]:
        school_id, date_of_birth = command.school_id, command.date_of_birth
        target = self.school_for(school_id, Action.MANAGE_PUPIL)
        name = required_text("fullName", command.full_name)
        not_in_future("dateOfBirth", date_of_birth)
        if not is_pupil_age(date_of_birth, today_utc()):
            raise ValidationFailed("dateOfBirth", "must give an age between 1 and 26 years")
        if not is_year_group(command.year_group):
            raise ValidationFailed("yearGroup", "must be from -2 (N1) to 13")
        seal = self.keyring.session()
        pupil_id = seal.new_subject(uuid4())
        pupil = Pupil(
            id=pupil_id,
            full_name=seal.seal(pupil_id, name),
            date_of_birth=seal.seal(pupil_id, date_of_birth.isoformat()),
            year_group=command.year_group,
            trust_id=target.trust_id,
            school_id=school_id,
        )
        return pupil.id, self.record(pupil, new_keys=seal.new_keys)

    def register_staff_member(self, command: RegisterStaffMember) -> tuple[UUID, int]:
        school_id, staff_role, started_on = (
            command.school_id,
            command.staff_role,
            command.started_on,
        )
        target = self.school_for(school_id, Action.MANAGE_STAFF)
        name = required_text("fullName", command.full_name)
        choice("role", staff_role, StaffRole)
        user_id = optional_text("userId", command.user_id)
        if started_on is not None:
            not_in_future("startedOn", started_on)
        seal = self.keyring.session()
        staff_id = seal.new_subject(uuid4())
        staff = StaffMember(
            id=staff_id,
            full_name=seal.seal(staff_id, name),
            staff_role=staff_role,
            user_id=user_id,
            started_on=started_on,
            trust_id=target.trust_id,
            school_id=school_id,
        )
        changed: list[CaseworkAggregate] = [staff]
        if user_id is not None:
            changed.append(self.linked_login(user_id, staff_id, target.trust_id, school_id))
        return staff.id, self.record(*changed, new_keys=seal.new_keys)

    def link_parent(self, command: LinkParent) -> tuple[UUID, int]:
        parent_id, full_name = command.parent_id, command.full_name
        pupil = open_pupil(self, command.pupil_id, Action.MANAGE_PUPIL)
        if not is_relationship(command.relationship):
            raise ValidationFailed("relationship", f"must be one of {', '.join(RELATIONSHIPS)}")
        seal = self.keyring.session()
        if parent_id is not None:
            if full_name is not None:
                raise ValidationFailed("fullName", "give either parentId or fullName, not both")
            parent = self.get(ParentCarer, parent_id, "Parent or carer")
            if parent.school_id != pupil.school_id:
                raise NotFound("Parent or carer", parent_id)
        else:
            if full_name is None:
                raise ValidationFailed("fullName", "is required when no parentId is given")
            new_id = seal.new_subject(uuid4())
            parent = ParentCarer(
                id=new_id,
                full_name=seal.seal(new_id, required_text("fullName", full_name)),
                trust_id=pupil.trust_id,
                school_id=pupil.school_id,
            )
        parent.link_to(pupil.id, command.relationship, command.parental_responsibility)
        return parent.id, self.record(parent, new_keys=seal.new_keys)

    def record_pupil_left(self, command: RecordPupilLeft) -> tuple[UUID, int]:
        pupil = open_pupil(self, command.pupil_id, Action.MANAGE_PUPIL, command.expected_version)
        not_in_future("leftOn", command.left_on)
        destination = optional_text("destination", command.destination)
        seal = self.keyring.session()
        pupil.record_left(
            command.left_on, seal.seal(pupil.id, destination) if destination else None
        )
        return pupil.id, self.record(pupil, new_keys=seal.new_keys)

    def record_staff_left(self, command: RecordStaffLeft) -> tuple[UUID, int]:
        staff = open_staff(
            self, command.staff_member_id, Action.MANAGE_STAFF, command.expected_version
        )
        not_in_future("leftOn", command.left_on)
        reason = optional_text("reason", command.reason, LEAVING_REASON_MAX)
        seal = self.keyring.session()
        staff.record_left(command.left_on, seal.seal(staff.id, reason) if reason else None)
        return staff.id, self.record(staff, new_keys=seal.new_keys)

    def school_target(self, school_id: UUID) -> Target:
        """The tenancy of a school. A school's trust never changes, so it is remembered."""
        trust_id = self._school_trusts.get(school_id)
        if trust_id is None:
            trust_id = self.get(School, school_id, "School", read_only=True).trust_id
            if len(self._school_trusts) > 100_000:
                self._school_trusts.clear()
            self._school_trusts[school_id] = trust_id
        return school_target(trust_id, school_id)
