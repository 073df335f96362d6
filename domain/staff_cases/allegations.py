"""An allegation against a member of staff (KCSIE Part four), from receipt to its outcome.

Each allegation has its own data key, so that a malicious or false allegation can be erased
without touching anything else about the person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate, guarded
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed
from domain.staff_cases.errors import (
    CaseClosed,
    OutcomeRequired,
    ReferenceNotPermitted,
    SubjectCannotBeOnCase,
)
from domain.staff_cases.former_topics import register_former_topics
from domain.staff_cases.model import (
    CITABLE_OUTCOMES,
    REMOVED_OUTCOMES,
    AllegationStatus,
    Outcome,
    Text,
)

# The referral details of an allegation that records none (children apart: an empty list).
EMPTY_DETAILS: dict[str, None] = {
    "location": None,
    "more_than_one_incident": None,
    "after_physical_intervention": None,
    "injury": None,
    "others_told": None,
}


class Allegation(CaseworkAggregate):
    record_type = "allegation"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.subject_id})

    class Received(CaseworkAggregate.Created):
        subject_id: UUID
        subject_user_id: str | None
        received_at: datetime
        source: str
        received_via: str
        category: str | None
        description: Sealed
        harm_tests: dict[str, bool]
        outside_work: bool
        case_manager: str
        case_manager_basis: str
        case_team: list[str]
        lado_due_on: date
        from_concerns: list[UUID]
        # What LADO referral forms ask for (docs/rules.md §11); empty on events of before.
        children: list[dict[str, Any]]
        location: Sealed | None
        more_than_one_incident: str | None
        after_physical_intervention: str | None
        injury: Sealed | None
        others_told: Sealed | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Received before it carried the referral details: none were recorded."""
            state.update(EMPTY_DETAILS, children=[])

    class DetailsRecorded(CaseworkAggregate.Event):
        """Details amended: each one given (not None) replaces what was recorded; ``children``
        replaces the whole list, each ``{"pupil_id": UUID, "relationship": str}``."""

        children: list[dict[str, Any]] | None
        location: Sealed | None
        more_than_one_incident: str | None
        after_physical_intervention: str | None
        injury: Sealed | None
        others_told: Sealed | None

    class EvidenceAttached(CaseworkAggregate.Event):
        """A supporting document (``domain.shared.evidence``): its bytes are in the blob
        store, sealed with the allegation's key as its name, note and fingerprint are."""

        file_id: UUID
        filename: Sealed
        content_type: str
        size: int
        sha256: Sealed
        note: Sealed | None

    class CaseManagerAssigned(CaseworkAggregate.Event):
        user_id: str
        reason: Sealed

    class CaseTeamMemberAdded(CaseworkAggregate.Event):
        user_id: str
        responsibility: Text

    class LadoConsulted(CaseworkAggregate.Event):
        consulted_at: datetime
        lado_name: Sealed
        reference: Text | None
        advice: Sealed
        agreed_action: Sealed

    class ActionRecorded(CaseworkAggregate.Event):
        action_id: UUID
        kind: str
        taken_at: datetime
        reference: Text | None
        decision: Sealed
        rationale: Sealed

    class StrategyDiscussionHeld(CaseworkAggregate.Event):
        held_at: datetime
        attendees: Sealed
        decisions: Sealed
        actions: Sealed

    class SuspensionConsidered(CaseworkAggregate.Event):
        considered_at: datetime
        alternatives: Sealed
        decision: str
        rationale: Sealed

    class OutcomeRecorded(CaseworkAggregate.Event):
        outcome: str
        decided_at: datetime
        summary: Sealed
        rationale: Sealed

    class ReferenceDeclared(CaseworkAggregate.Event):
        will_be_referred_to: bool
        declaration: Sealed

    class RetentionConsentRecorded(CaseworkAggregate.Event):
        consented_at: datetime
        method: str
        note: Sealed | None

    class LessonsLearntRecorded(CaseworkAggregate.Event):
        lessons: Sealed
        changes: Sealed | None

    class Closed(CaseworkAggregate.Event):
        note: Sealed | None

    class ReferralExported(CaseworkAggregate.Event):
        """The case's referral evidence was exported (docs/rules.md §13): to whom, the bundle's
        fingerprint, and the head (version, entry hash) of every aggregate it exported, so a
        case trimmed or rewritten later contradicts a logged, witnessed commitment."""

        export_id: UUID
        recipient: Sealed
        fingerprint: str
        heads: list[dict[str, Any]]

    @event(Received)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        subject_id: UUID,
        subject_user_id: str | None,
        received_at: datetime,
        source: str,
        received_via: str,
        category: str | None,
        description: Sealed,
        harm_tests: dict[str, bool],
        outside_work: bool,
        case_manager: str,
        case_manager_basis: str,
        case_team: list[str],
        lado_due_on: date,
        from_concerns: list[UUID],
        children: list[dict[str, Any]],
        location: Sealed | None,
        more_than_one_incident: str | None,
        after_physical_intervention: str | None,
        injury: Sealed | None,
        others_told: Sealed | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.subject_id = subject_id
        self.subject_user_id = subject_user_id
        self.received_at = received_at
        self.lado_due_on = lado_due_on
        self.case_manager = case_manager
        self.case_team: list[str] = list(case_team)
        self.status = AllegationStatus.OPEN
        self.outcome: Outcome | None = None
        self.retention_consent = False
        self.from_concerns = list(from_concerns)

    @property
    def members(self) -> frozenset[str]:
        """The case manager and case team: with the trust safeguarding lead, its only readers."""
        return frozenset({self.case_manager, *self.case_team})

    def _require_open(self, field: str = "allegationId") -> None:
        if self.status is AllegationStatus.CLOSED:
            raise CaseClosed(field)

    def _not_subject(self, user_id: str, field: str) -> None:
        if user_id == self.subject_user_id:
            raise SubjectCannotBeOnCase(field)

    def assign_case_manager(self, user_id: str, reason: Sealed) -> None:
        self._require_open()
        self._not_subject(user_id, "userId")
        if user_id == self.case_manager:
            raise ValidationFailed("userId", "is already the case manager")
        self._manager_assigned(user_id=user_id, reason=reason)

    @event(CaseManagerAssigned)
    def _manager_assigned(self, user_id: str, reason: Sealed) -> None:
        self.case_manager = user_id

    def add_to_team(self, user_id: str, responsibility: Sealed) -> None:
        self._require_open()
        self._not_subject(user_id, "userId")
        if user_id in self.members:
            raise ValidationFailed("userId", "is already on this case")
        self._member_added(user_id=user_id, responsibility=responsibility)

    @event(CaseTeamMemberAdded)
    def _member_added(self, user_id: str, responsibility: Text) -> None:
        self.case_team.append(user_id)

    # Commands the open case only refuses when it is closed: each records its event as given.

    @event(LadoConsulted)
    def _lado(
        self,
        consulted_at: datetime,
        lado_name: Sealed,
        reference: Sealed | None,
        advice: Sealed,
        agreed_action: Sealed,
    ) -> None:
        pass

    consult_lado = guarded(_require_open, _lado)

    @event(ActionRecorded)
    def _action(
        self,
        action_id: UUID,
        kind: str,
        taken_at: datetime,
        reference: Sealed | None,
        decision: Sealed,
        rationale: Sealed,
    ) -> None:
        pass

    record_action = guarded(_require_open, _action)

    @event(DetailsRecorded)
    def _details(
        self,
        children: list[dict[str, Any]] | None,
        location: Sealed | None,
        more_than_one_incident: str | None,
        after_physical_intervention: str | None,
        injury: Sealed | None,
        others_told: Sealed | None,
    ) -> None:
        pass

    record_details = guarded(_require_open, _details)

    @event(EvidenceAttached)
    def _evidence(
        self,
        file_id: UUID,
        filename: Sealed,
        content_type: str,
        size: int,
        sha256: Sealed,
        note: Sealed | None,
    ) -> None:
        pass

    attach_evidence = guarded(_require_open, _evidence)

    @event(StrategyDiscussionHeld)
    def _strategy(
        self, held_at: datetime, attendees: Sealed, decisions: Sealed, actions: Sealed
    ) -> None:
        pass

    hold_strategy_discussion = guarded(_require_open, _strategy)

    @event(SuspensionConsidered)
    def _suspension(
        self, considered_at: datetime, alternatives: Sealed, decision: str, rationale: Sealed
    ) -> None:
        pass

    consider_suspension = guarded(_require_open, _suspension)

    def record_outcome(
        self, outcome: Outcome, decided_at: datetime, summary: Sealed, rationale: Sealed
    ) -> None:
        self._require_open()
        if self.outcome is not None:
            raise ValidationFailed("outcome", f"the outcome is already recorded: {self.outcome}")
        if decided_at < self.received_at:
            raise ValidationFailed("decidedAt", "cannot be before the allegation was received")
        self._outcome(
            outcome=outcome.value, decided_at=decided_at, summary=summary, rationale=rationale
        )

    @event(OutcomeRecorded)
    def _outcome(
        self, outcome: str, decided_at: datetime, summary: Sealed, rationale: Sealed
    ) -> None:
        self.outcome = Outcome(outcome)

    def declare_reference(self, will_be_referred_to: bool, declaration: Sealed) -> None:
        if self.outcome is None:
            raise OutcomeRequired("declaring what a reference will say")
        if will_be_referred_to and self.outcome not in CITABLE_OUTCOMES:
            raise ReferenceNotPermitted(self.outcome.value)
        self._reference(will_be_referred_to=will_be_referred_to, declaration=declaration)

    @event(ReferenceDeclared)
    def _reference(self, will_be_referred_to: bool, declaration: Sealed) -> None:
        pass

    def record_retention_consent(
        self, consented_at: datetime, method: str, note: Sealed | None
    ) -> None:
        if self.outcome is None:
            raise OutcomeRequired("recording consent to retention")
        if self.outcome not in REMOVED_OUTCOMES:
            raise ValidationFailed(
                "allegationId",
                f"a {self.outcome.value} allegation is retained anyway; consent to retention "
                "applies to malicious and false allegations only",
            )
        if self.retention_consent:
            raise ValidationFailed("allegationId", "consent to retention is already recorded")
        self._retention(consented_at=consented_at, method=method, note=note)

    @event(RetentionConsentRecorded)
    def _retention(self, consented_at: datetime, method: str, note: Sealed | None) -> None:
        self.retention_consent = True

    def record_lessons_learnt(self, lessons: Sealed, changes: Sealed | None) -> None:
        if self.outcome is None:
            raise OutcomeRequired("the lessons-learnt review")
        self._lessons(lessons=lessons, changes=changes)

    @event(LessonsLearntRecorded)
    def _lessons(self, lessons: Sealed, changes: Sealed | None) -> None:
        pass

    def close(self, note: Sealed | None) -> None:
        self._require_open()
        if self.outcome is None:
            raise OutcomeRequired("closing the allegation")
        self._closed(note=note)

    @event(Closed)
    def _closed(self, note: Sealed | None) -> None:
        self.status = AllegationStatus.CLOSED

    # Open or closed: a LADO, a court or an inquiry may ask for the record at any time.
    @event(ReferralExported)
    def export_referral(
        self, export_id: UUID, recipient: Sealed, fingerprint: str, heads: list[dict[str, Any]]
    ) -> None:
        pass


register_former_topics(Allegation)
