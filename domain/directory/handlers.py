"""Directory commands: schools and people. Each authorises, validates, then records events."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.access.policy import Action, Target, authorise
from domain.directory.aggregates import (
    ParentCarer,
    Pupil,
    School,
    StaffMember,
    StaffRole,
    Trust,
    school_id_for_urn,
)
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import NotAuthorised, NotFound, ValidationFailed
from domain.shared.validation import (
    choice,
    not_in_future,
    optional_text,
    pattern,
    required_text,
    today_utc,
)

YEAR_GROUPS = range(-2, 14)  # N1 = -2, N2 = -1, Reception = 0, Years 1 to 13
RELATIONSHIPS = (
    "mother",
    "father",
    "parent",
    "step-parent",
    "grandparent",
    "carer",
    "foster carer",
    "guardian",
    "other",
)


class DirectoryHandlers(CaseworkBase):
    def create_trust(self, name: str) -> tuple[UUID, int]:
        """Provision a trust. Only the command-line operator does this."""
        principal = current_principal()
        if not principal.is_operator:
            raise NotAuthorised("Trusts are provisioned by the operator")
        trust_id = uuid4()
        trust = Trust(name=required_text("name", name), trust_id=trust_id, id=trust_id)
        return trust.id, self.record(trust)

    def register_school(self, trust_id: UUID, name: str, urn: str) -> tuple[UUID, int]:
        trust = self.get(Trust, trust_id, "Trust")
        authorise(current_principal(), Action.REGISTER_SCHOOL, Target(trust.id))
        name = required_text("name", name)
        urn = pattern("urn", urn, r"\d{6,7}", "a 6 or 7 digit Unique Reference Number")
        school_id = school_id_for_urn(urn)
        if school_id in self.repository:
            raise ValidationFailed("urn", f"a school with URN {urn} is already registered")
        school = School(name=name, urn=urn, trust_id=trust.id, school_id=school_id, id=school_id)
        return school.id, self.record(school)

    def register_pupil(
        self,
        school_id: UUID,
        full_name: str,
        date_of_birth: date,
        year_group: int,
    ) -> tuple[UUID, int]:
        target = self.school_for(school_id, Action.MANAGE_PUPIL)
        name = required_text("fullName", full_name)
        not_in_future("dateOfBirth", date_of_birth)
        age = (today_utc() - date_of_birth).days / 365.25
        if not 1 <= age <= 26:
            raise ValidationFailed("dateOfBirth", "must give an age between 1 and 26 years")
        if year_group not in YEAR_GROUPS:
            raise ValidationFailed("yearGroup", "must be from -2 (N1) to 13")
        seal = self.keyring.session()
        pupil_id = seal.new_subject(uuid4())
        pupil = Pupil(
            id=pupil_id,
            full_name=seal.seal(pupil_id, name),
            date_of_birth=seal.seal(pupil_id, date_of_birth.isoformat()),
            year_group=year_group,
            trust_id=target.trust_id,
            school_id=school_id,
        )
        return pupil.id, self.record(pupil, new_keys=seal.new_keys)

    def register_staff_member(
        self,
        school_id: UUID,
        full_name: str,
        staff_role: str,
        user_id: str | None = None,
        started_on: date | None = None,
    ) -> tuple[UUID, int]:
        target = self.school_for(school_id, Action.MANAGE_STAFF)
        name = required_text("fullName", full_name)
        choice("role", staff_role, StaffRole)
        user_id = optional_text("userId", user_id)
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
            access = self.user_access(user_id, target.trust_id, school_id)
            access.link_record(staff_id, target.trust_id, school_id)
            changed.append(access)
        return staff.id, self.record(*changed, new_keys=seal.new_keys)

    def link_parent(
        self,
        pupil_id: UUID,
        relationship: str,
        parental_responsibility: bool,
        parent_id: UUID | None = None,
        full_name: str | None = None,
    ) -> tuple[UUID, int]:
        pupil = self.open(Pupil, pupil_id, "Pupil", Action.MANAGE_PUPIL, view=Action.VIEW_PUPIL)
        if relationship not in RELATIONSHIPS:
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
        parent.link_to(pupil.id, relationship, parental_responsibility)
        return parent.id, self.record(parent, new_keys=seal.new_keys)

    def record_pupil_left(
        self,
        pupil_id: UUID,
        left_on: date,
        destination: str | None = None,
        expected_version: int | None = None,
    ) -> tuple[UUID, int]:
        pupil = self.open(
            Pupil, pupil_id, "Pupil", Action.MANAGE_PUPIL, expected_version, view=Action.VIEW_PUPIL
        )
        not_in_future("leftOn", left_on)
        destination = optional_text("destination", destination)
        seal = self.keyring.session()
        pupil.record_left(left_on, seal.seal(pupil.id, destination) if destination else None)
        return pupil.id, self.record(pupil, new_keys=seal.new_keys)

    def record_staff_left(
        self,
        staff_member_id: UUID,
        left_on: date,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> tuple[UUID, int]:
        staff = self.open(
            StaffMember,
            staff_member_id,
            "Staff member",
            Action.MANAGE_STAFF,
            expected_version,
            view=Action.VIEW_STAFF,
        )
        not_in_future("leftOn", left_on)
        reason = optional_text("reason", reason, 2000)
        seal = self.keyring.session()
        staff.record_left(left_on, seal.seal(staff.id, reason) if reason else None)
        return staff.id, self.record(staff, new_keys=seal.new_keys)
