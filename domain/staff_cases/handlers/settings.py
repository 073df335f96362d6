"""A trust's staff-case settings, and the retention facts about a member of staff."""

from __future__ import annotations

from uuid import UUID

from domain.directory.aggregates import StaffCaseSettings, Trust
from domain.directory.opening import open_staff
from domain.shared.actor import current_principal
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action, Target, authorise
from domain.shared.validation import optional_text
from domain.staff_cases.commands import ConfigureStaffCases, RecordPensionAge
from domain.staff_cases.handlers.routing import StaffCaseBase

MAX_LADO_WORKING_DAYS = 10


class StaffCaseSettingsHandlers(StaffCaseBase):
    def staff_case_settings(self, trust_id: UUID) -> StaffCaseSettings:
        return self.get(Trust, trust_id, "Trust", read_only=True).staff_case_settings

    def configure_staff_cases(self, command: ConfigureStaffCases) -> tuple[UUID, int]:
        trust = self.get(Trust, command.trust_id, "Trust")
        authorise(current_principal(), Action.MANAGE_TRUST_SETTINGS, Target(trust.id))
        named = optional_text("headteacherCaseManager", command.headteacher_case_manager)
        title = optional_text(
            "headteacherCaseManagerTitle", command.headteacher_case_manager_title, 100
        )
        if named is not None:
            if title is None:
                raise ValidationFailed(
                    "headteacherCaseManagerTitle", "say who they are, e.g. chair of governors, CEO"
                )
            if not any(g.trust_id == trust.id for g in self.principal_for(named).grants):
                raise ValidationFailed(
                    "headteacherCaseManager", f"{named} holds no role in this trust"
                )
        days = command.lado_working_days
        if not 1 <= days <= MAX_LADO_WORKING_DAYS:
            raise ValidationFailed("ladoWorkingDays", f"must be from 1 to {MAX_LADO_WORKING_DAYS}")
        if not 1 <= command.concern_threshold <= 20:
            raise ValidationFailed("concernThreshold", "must be from 1 to 20")
        trust.configure_staff_cases(
            StaffCaseSettings(named, title, days, command.concern_threshold)
        )
        return trust.id, self.record(trust)

    def record_pension_age(self, command: RecordPensionAge) -> tuple[UUID, int]:
        staff = open_staff(self, command.staff_member_id, Action.MANAGE_STAFF)
        staff.record_pension_age(command.reaches_on)
        return staff.id, self.record(staff)
