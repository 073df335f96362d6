"""Low-level concern commands: raising, reviewing, closing, and escalating a pattern of them
into an allegation."""

from __future__ import annotations

from uuid import UUID

from domain.directory.aggregates import StaffMember
from domain.shared import clock
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action, Target, authorise, authorise_case
from domain.shared.validation import MAX_TEXT, not_in_future, optional_text, required_text
from domain.staff_cases.commands import (
    CloseLowLevelConcern,
    EscalateLowLevelConcerns,
    RaiseLowLevelConcern,
    ReviewLowLevelConcern,
)
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.handlers.routing import StaffCaseBase, optional_choice
from domain.staff_cases.model import AllegationCategory, AllegationSource, ReceivedVia


class ConcernHandlers(StaffCaseBase):
    def raise_low_level_concern(self, command: RaiseLowLevelConcern) -> tuple[UUID, int]:
        """Any member of staff, about a colleague or about themselves (self-reporting)."""
        staff = self.open(
            StaffMember,
            command.staff_member_id,
            "Staff member",
            lambda staff: authorise(
                current_principal(),
                Action.RAISE_LOW_LEVEL_CONCERN,
                Target(staff.trust_id, staff.school_id),  # no subject check: self-reports welcome
            ),
        )
        text = required_text("details", command.details, MAX_TEXT)
        if command.occurred_on is not None:
            not_in_future("occurredOn", command.occurred_on)
        recipient, basis = self._handler_for(staff)
        seal = self.keyring.session()
        concern = self._new_concern(
            seal,
            staff,
            text,
            optional_text("context", command.context, MAX_TEXT),
            command.occurred_on,
            command.withhold_name_from_subject,
            recipient,
            basis,
            None,
        )
        return concern.id, self.record(concern, new_keys=seal.new_keys)

    def _concern(self, concern_id: UUID) -> LowLevelConcern:
        return self.open(
            LowLevelConcern,
            concern_id,
            "Low-level concern",
            lambda concern: authorise_case(
                current_principal(),
                Action.HANDLE_LOW_LEVEL_CONCERN,
                self.target_of(concern),
                concern.members,
                concern.subject_user_id,
            ),
        )

    def review_low_level_concern(self, command: ReviewLowLevelConcern) -> tuple[UUID, int]:
        concern = self._concern(command.concern_id)
        seal = self.keyring.session()
        action_taken = required_text("actionTaken", command.action_taken, MAX_TEXT)
        concern.review(
            clock.now(),
            seal.seal(concern.id, action_taken),
            seal.seal(concern.id, required_text("rationale", command.rationale, MAX_TEXT)),
        )
        return concern.id, self.record(concern)

    def close_low_level_concern(self, command: CloseLowLevelConcern) -> tuple[UUID, int]:
        concern = self._concern(command.concern_id)
        seal = self.keyring.session()
        text = optional_text("note", command.note, MAX_TEXT)
        concern.close(seal.seal(concern.id, text) if text else None)
        return concern.id, self.record(concern)

    def escalate_low_level_concerns(self, command: EscalateLowLevelConcerns) -> tuple[UUID, int]:
        """A pattern of low-level concerns that meets the harm threshold becomes an allegation;
        each concern and the allegation refer to each other."""
        concern_ids = command.concern_ids
        if not concern_ids:
            raise ValidationFailed("concernIds", "name at least one low-level concern")
        if len(set(concern_ids)) != len(concern_ids):
            raise ValidationFailed("concernIds", "a concern is named twice")
        concerns = [self._concern(c) for c in concern_ids]
        if len({c.subject_id for c in concerns}) > 1:
            raise ValidationFailed("concernIds", "the concerns are about different people")
        if not command.harm_tests.any_met:
            raise ValidationFailed(
                "harmTests", "escalation to an allegation needs at least one harm test met"
            )
        optional_choice("category", command.category, AllegationCategory)
        staff = self._staff(concerns[0].subject_id)
        principal = current_principal()
        if any(principal.user_id not in c.members for c in concerns):
            # The recipient of the concerns (e.g. the named person, for a headteacher) may
            # escalate them; anyone else needs to be someone who receives allegations.
            authorise(principal, Action.RECEIVE_ALLEGATION, self._staff_target(staff))
        manager, basis = self._handler_for(staff)
        seal = self.keyring.session()
        allegation = self._new_allegation(
            seal,
            staff,
            clock.now(),
            AllegationSource.COLLEAGUE.value,
            ReceivedVia.LOW_LEVEL_CONCERN_REVIEW.value,
            command.category,
            required_text("description", command.description, MAX_TEXT),
            command.harm_tests,
            command.outside_work,
            manager,
            basis,
            [c.id for c in concerns],
        )
        for concern in concerns:
            concern.escalate(allegation.id)
        changed: list[CaseworkAggregate] = [allegation, *concerns]
        return allegation.id, self.record(*changed, new_keys=seal.new_keys)
