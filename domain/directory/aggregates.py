"""Directory aggregates: trusts, schools and the people in them (issue 2 §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed


class StaffRole(StrEnum):
    TEACHER = "teacher"
    SUPPORT = "support"
    SUPPLY = "supply"
    VOLUNTEER = "volunteer"
    CONTRACTOR = "contractor"
    GOVERNOR = "governor"
    HEADTEACHER = "headteacher"
    OTHER = "other"


@dataclass(frozen=True)
class StaffCaseSettings:
    """How a trust handles allegations and low-level concerns (docs/rules.md §3, §4; configurable).

    ``headteacher_case_manager``: the user who manages allegations and receives low-level
    concerns about a headteacher (the chair of governors, or the trust's named person such as
    the CEO), with their title.
    """

    headteacher_case_manager: str | None = None
    headteacher_case_manager_title: str | None = None
    lado_working_days: int = 1
    concern_threshold: int = 3


class Trust(CaseworkAggregate):
    """A trust; a maintained school or a single-academy trust is a trust of one."""

    class Created(CaseworkAggregate.Created):
        name: str

    class IncidentCategoryAdded(CaseworkAggregate.Event):
        code: str
        label: str

    class StaffCaseSettingsChanged(CaseworkAggregate.Event):
        headteacher_case_manager: str | None
        headteacher_case_manager_title: str | None
        lado_working_days: int
        concern_threshold: int

    @event(Created)
    def __init__(self, id: UUID, name: str, trust_id: UUID, school_id: None = None) -> None:
        self.name = name
        self.trust_id = trust_id
        self.school_id = None
        self.incident_categories: dict[str, str] = {}
        self.staff_case_settings = StaffCaseSettings()

    def configure_staff_cases(self, settings: StaffCaseSettings) -> None:
        self._staff_cases_configured(
            headteacher_case_manager=settings.headteacher_case_manager,
            headteacher_case_manager_title=settings.headteacher_case_manager_title,
            lado_working_days=settings.lado_working_days,
            concern_threshold=settings.concern_threshold,
        )

    @event(StaffCaseSettingsChanged)
    def _staff_cases_configured(
        self,
        headteacher_case_manager: str | None,
        headteacher_case_manager_title: str | None,
        lado_working_days: int,
        concern_threshold: int,
    ) -> None:
        self.staff_case_settings = StaffCaseSettings(
            headteacher_case_manager,
            headteacher_case_manager_title,
            lado_working_days,
            concern_threshold,
        )

    def add_incident_category(self, code: str, label: str) -> None:
        if code in self.incident_categories:
            raise ValidationFailed("code", f"the trust already has category {code}")
        self._category_added(code=code, label=label)

    @event(IncidentCategoryAdded)
    def _category_added(self, code: str, label: str) -> None:
        self.incident_categories[code] = label


def school_id_for_urn(urn: str) -> UUID:
    """A school's id derives from its URN, so the event store itself refuses a duplicate."""
    return uuid5(NAMESPACE_URL, f"casework:school:{urn}")


class School(CaseworkAggregate):
    """A school. It knows who its headteachers are, because allegations are routed by them."""

    class Registered(CaseworkAggregate.Created):
        name: str
        urn: str

    class HeadteacherAppointed(CaseworkAggregate.Event):
        user_id: str

    class HeadteacherStoodDown(CaseworkAggregate.Event):
        user_id: str

    class PublicationApprovalSet(CaseworkAggregate.Event):
        """The two-person rule for publications (seed 003), on or off."""

        required: bool

    @event(Registered)
    def __init__(self, id: UUID, name: str, urn: str, trust_id: UUID, school_id: UUID) -> None:
        self.name = name
        self.urn = urn
        self.trust_id = trust_id
        self.school_id = school_id
        self.headteachers: list[str] = []
        self.publication_approval_required = False

    def set_publication_approval(self, required: bool) -> None:
        self._publication_approval(required=required)

    @event(PublicationApprovalSet)
    def _publication_approval(self, required: bool) -> None:
        self.publication_approval_required = required

    def appoint_headteacher(self, user_id: str) -> None:
        if user_id not in self.headteachers:
            self._appointed(user_id=user_id)

    @event(HeadteacherAppointed)
    def _appointed(self, user_id: str) -> None:
        self.headteachers.append(user_id)

    def stand_down_headteacher(self, user_id: str) -> None:
        if user_id in self.headteachers:
            self._stood_down(user_id=user_id)

    @event(HeadteacherStoodDown)
    def _stood_down(self, user_id: str) -> None:
        self.headteachers.remove(user_id)


class Person(CaseworkAggregate):
    """Common shape of people in a school's directory; each is the subject of their record."""

    full_name: Sealed
    left_on: date | None = None

    @property
    def has_left(self) -> bool:
        return self.left_on is not None

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.id})


class Pupil(Person):
    record_type = "pupil"

    class Registered(CaseworkAggregate.Created):
        full_name: Sealed
        date_of_birth: Sealed
        year_group: int

    class Left(CaseworkAggregate.Event):
        left_on: date
        destination: Sealed | None

    @event(Registered)
    def __init__(
        self,
        id: UUID,
        full_name: Sealed,
        date_of_birth: Sealed,
        year_group: int,
        trust_id: UUID,
        school_id: UUID,
    ) -> None:
        self.full_name = full_name
        self.date_of_birth = date_of_birth
        self.year_group = year_group
        self.trust_id = trust_id
        self.school_id = school_id
        self.left_on = None

    def record_left(self, left_on: date, destination: Sealed | None) -> None:
        if self.left_on is not None:
            raise ValidationFailed("pupilId", f"this pupil already left on {self.left_on}")
        self._left(left_on=left_on, destination=destination)

    @event(Left)
    def _left(self, left_on: date, destination: Sealed | None) -> None:
        self.left_on = left_on


class StaffMember(Person):
    record_type = "staff_member"

    class Registered(CaseworkAggregate.Created):
        full_name: Sealed
        staff_role: str
        user_id: str | None
        started_on: date | None

    class Left(CaseworkAggregate.Event):
        left_on: date
        reason: Sealed | None

    class PensionAgeRecorded(CaseworkAggregate.Event):
        reaches_on: date

    @event(Registered)
    def __init__(
        self,
        id: UUID,
        full_name: Sealed,
        staff_role: str,
        user_id: str | None,
        started_on: date | None,
        trust_id: UUID,
        school_id: UUID,
    ) -> None:
        self.full_name = full_name
        self.staff_role = StaffRole(staff_role)
        self.user_id = user_id
        self.started_on = started_on
        self.trust_id = trust_id
        self.school_id = school_id
        self.left_on = None
        self.reaches_pension_age_on: date | None = None

    @property
    def is_headteacher(self) -> bool:
        return self.staff_role is StaffRole.HEADTEACHER

    def record_pension_age(self, reaches_on: date) -> None:
        if reaches_on == self.reaches_pension_age_on:
            raise ValidationFailed("reachesOn", "that date is already recorded")
        self._pension_age(reaches_on=reaches_on)

    @event(PensionAgeRecorded)
    def _pension_age(self, reaches_on: date) -> None:
        self.reaches_pension_age_on = reaches_on

    def record_left(self, left_on: date, reason: Sealed | None) -> None:
        if self.left_on is not None:
            raise ValidationFailed("staffMemberId", f"this member of staff left on {self.left_on}")
        if self.started_on is not None and left_on < self.started_on:
            raise ValidationFailed("leftOn", "cannot be before the day they started")
        self._left(left_on=left_on, reason=reason)

    @event(Left)
    def _left(self, left_on: date, reason: Sealed | None) -> None:
        self.left_on = left_on


@dataclass(frozen=True)
class PupilLink:
    relationship: str
    parental_responsibility: bool


class ParentCarer(Person):
    record_type = "parent_carer"

    class Registered(CaseworkAggregate.Created):
        full_name: Sealed

    class LinkedToPupil(CaseworkAggregate.Event):
        pupil_id: UUID
        relationship: str
        parental_responsibility: bool

    @event(Registered)
    def __init__(self, id: UUID, full_name: Sealed, trust_id: UUID, school_id: UUID | None) -> None:
        self.full_name = full_name
        self.trust_id = trust_id
        self.school_id = school_id
        self.left_on = None
        self.links: dict[UUID, PupilLink] = {}

    def link_to(self, pupil_id: UUID, relationship: str, parental_responsibility: bool) -> None:
        if self.links.get(pupil_id) == PupilLink(relationship, parental_responsibility):
            raise ValidationFailed("pupilId", "this parent or carer is already linked so")
        self._linked(
            pupil_id=pupil_id,
            relationship=relationship,
            parental_responsibility=parental_responsibility,
        )

    @event(LinkedToPupil)
    def _linked(self, pupil_id: UUID, relationship: str, parental_responsibility: bool) -> None:
        self.links[pupil_id] = PupilLink(relationship, parental_responsibility)

    def has_parental_responsibility_for(self, pupil_id: UUID) -> bool:
        link = self.links.get(pupil_id)
        return link is not None and link.parental_responsibility
