"""What every staff-case handler shares: who handles a case about a member of staff, and how
an allegation or a low-level concern is opened.

Routing (docs/rules.md §3 to §4): the headteacher manages an allegation and receives a low-level
concern; when the subject is a headteacher, the trust's named person does (chair of governors
or CEO). The subject is never the case manager, never on the case team, and never reads it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from domain.directory.aggregates import School, StaffMember, Trust
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import due_on_working_day
from domain.shared.policy import Target
from domain.shared.sealing import SealingSession
from domain.shared.validation import choice
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.errors import NoCaseManager
from domain.staff_cases.handlers.details import CheckedDetails
from domain.staff_cases.model import CaseManagerBasis, HarmTests


def optional_choice(field: str, value: str | None, options: type[StrEnum]) -> str | None:
    return None if value is None else choice(field, value, options)


class StaffCaseBase(CaseworkBase):
    def _staff(self, staff_member_id: UUID) -> StaffMember:
        return self.get(StaffMember, staff_member_id, "Staff member")

    @staticmethod
    def _staff_target(staff: StaffMember) -> Target:
        return Target(staff.trust_id, staff.school_id, frozenset({staff.id}))

    def _handler_for(self, staff: StaffMember) -> tuple[str, CaseManagerBasis]:
        """Who manages an allegation about ``staff`` and receives their low-level concerns."""
        school = self.get(School, staff.school_id, "School", read_only=True)  # type: ignore[arg-type]
        about_head = staff.is_headteacher or (
            staff.user_id is not None and staff.user_id in school.headteachers
        )
        if not about_head:
            for head in school.headteachers:
                if head != staff.user_id:
                    return head, CaseManagerBasis.HEADTEACHER
            raise NoCaseManager(
                "staffMemberId",
                "the school has no headteacher on record: grant the headteacher role first",
            )
        trust = self.get(Trust, staff.trust_id, "Trust", read_only=True)
        named = trust.staff_case_settings.headteacher_case_manager
        if named is None or named == staff.user_id:
            raise NoCaseManager(
                "staffMemberId",
                "this concerns a headteacher: the trust has not named who handles it (the chair "
                "of governors or CEO); set it with configureStaffCases",
            )
        target = Target(staff.trust_id, staff.school_id)
        if not any(g.reaches(target) for g in self.principal_for(named).grants):
            raise NoCaseManager(
                "staffMemberId",
                f"the trust's named person {named} holds no role reaching this school; give "
                "them one, or name someone else with configureStaffCases",
            )
        return named, CaseManagerBasis.TRUST_NAMED_PERSON

    def _new_allegation(
        self,
        seal: SealingSession,
        staff: StaffMember,
        received: datetime,
        source: str,
        received_via: str,
        category: str | None,
        text: str,
        harm_tests: HarmTests,
        outside_work: bool,
        manager: str,
        basis: CaseManagerBasis,
        from_concerns: list[UUID],
        details: CheckedDetails | None = None,
    ) -> Allegation:
        """A new allegation (``details``: its referral details, checked; none if not given)."""
        trust = self.get(Trust, staff.trust_id, "Trust", read_only=True)
        receiver = current_principal().user_id
        allegation_id = seal.new_subject(uuid4())
        referral = (details or CheckedDetails()).sealed(seal, allegation_id)
        return Allegation(
            id=allegation_id,
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            subject_id=staff.id,
            subject_user_id=staff.user_id,
            received_at=received,
            source=source,
            received_via=received_via,
            category=category,
            description=seal.seal(allegation_id, text),
            harm_tests=harm_tests.as_dict(),
            outside_work=outside_work,
            case_manager=manager,
            case_manager_basis=basis.value,
            case_team=[] if receiver == manager else [receiver],
            lado_due_on=due_on_working_day(received, trust.staff_case_settings.lado_working_days),
            from_concerns=from_concerns,
            **referral | {"children": referral["children"] or []},
        )

    def _new_concern(
        self,
        seal: SealingSession,
        staff: StaffMember,
        details: str,
        context: str | None,
        occurred_on: date | None,
        withhold_name: bool,
        recipient: str,
        basis: CaseManagerBasis,
        screening: dict[str, object] | None,
    ) -> LowLevelConcern:
        concern_id = seal.new_subject(uuid4())
        return LowLevelConcern(
            id=concern_id,
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            subject_id=staff.id,
            subject_user_id=staff.user_id,
            self_reported=staff.id in current_principal().subject_of,
            withhold_name_from_subject=withhold_name,
            occurred_on=occurred_on,
            details=seal.seal(concern_id, details),
            context=seal.seal(concern_id, context) if context else None,
            recipient=recipient,
            recipient_basis=basis.value,
            screening=screening,
        )
