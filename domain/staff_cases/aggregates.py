"""Allegations against staff, low-level concerns, and staff social-media records.

Each allegation and each low-level concern has its own data key, so that a malicious or false
allegation can be erased without touching anything else about the person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import ValidationFailed
from domain.shared.sealing import Sealed
from domain.staff_cases.model import (
    CITABLE_OUTCOMES,
    REMOVED_OUTCOMES,
    AllegationStatus,
    ConcernStatus,
    Outcome,
)

# Free text recorded before it was sealed in the event (a reference, a responsibility, a
# platform) decodes as a plain ``str``: the view seals it when it reads such an event.
Text = Sealed | str


class CaseClosed(ValidationFailed):
    code = "CASE_CLOSED"

    def __init__(self, field: str) -> None:
        super().__init__(field, "the case is closed")


class SubjectCannotBeOnCase(ValidationFailed):
    """The person an allegation is about never manages it, joins its team, or reads it."""

    code = "SUBJECT_EXCLUDED"

    def __init__(self, field: str) -> None:
        super().__init__(field, "the subject of the allegation cannot manage it or be on its team")


class OutcomeRequired(ValidationFailed):
    code = "OUTCOME_REQUIRED"

    def __init__(self, what: str) -> None:
        super().__init__("allegationId", f"record the outcome before {what}")


class ReferenceNotPermitted(ValidationFailed):
    """KCSIE: references mention substantiated allegations only, and no history of others."""

    code = "REFERENCE_NOT_PERMITTED"

    def __init__(self, outcome: str) -> None:
        super().__init__(
            "willBeReferredTo",
            f"a {outcome} allegation may not be referred to in a reference; only a "
            "substantiated one may",
        )


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

    def consult_lado(self, **fields: Any) -> None:
        self._require_open()
        self._lado(**fields)

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

    def record_action(self, **fields: Any) -> None:
        self._require_open()
        self._action(**fields)

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

    def hold_strategy_discussion(self, **fields: Any) -> None:
        self._require_open()
        self._strategy(**fields)

    @event(StrategyDiscussionHeld)
    def _strategy(
        self, held_at: datetime, attendees: Sealed, decisions: Sealed, actions: Sealed
    ) -> None:
        pass

    def consider_suspension(self, **fields: Any) -> None:
        self._require_open()
        self._suspension(**fields)

    @event(SuspensionConsidered)
    def _suspension(
        self, considered_at: datetime, alternatives: Sealed, decision: str, rationale: Sealed
    ) -> None:
        pass

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


class LowLevelConcern(CaseworkAggregate):
    record_type = "low_level_concern"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.subject_id})

    class Raised(CaseworkAggregate.Created):
        subject_id: UUID
        subject_user_id: str | None
        self_reported: bool
        withhold_name_from_subject: bool
        occurred_on: date | None
        details: Sealed
        context: Sealed | None
        recipient: str
        recipient_basis: str
        screening: dict[str, object] | None  # when it came in as an allegation, below threshold

    class Reviewed(CaseworkAggregate.Event):
        reviewed_at: datetime
        action_taken: Sealed
        rationale: Sealed

    class Escalated(CaseworkAggregate.Event):
        allegation_id: UUID

    class Closed(CaseworkAggregate.Event):
        note: Sealed | None

    @event(Raised)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        subject_id: UUID,
        subject_user_id: str | None,
        self_reported: bool,
        withhold_name_from_subject: bool,
        occurred_on: date | None,
        details: Sealed,
        context: Sealed | None,
        recipient: str,
        recipient_basis: str,
        screening: dict[str, object] | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.subject_id = subject_id
        self.subject_user_id = subject_user_id
        self.recipient = recipient
        self.status = ConcernStatus.RAISED
        self.escalated_to: UUID | None = None

    @property
    def members(self) -> frozenset[str]:
        return frozenset({self.recipient})

    def review(self, reviewed_at: datetime, action_taken: Sealed, rationale: Sealed) -> None:
        if self.status in (ConcernStatus.CLOSED, ConcernStatus.ESCALATED):
            raise CaseClosed("concernId")
        self._reviewed(reviewed_at=reviewed_at, action_taken=action_taken, rationale=rationale)

    @event(Reviewed)
    def _reviewed(self, reviewed_at: datetime, action_taken: Sealed, rationale: Sealed) -> None:
        self.status = ConcernStatus.REVIEWED

    def escalate(self, allegation_id: UUID) -> None:
        if self.escalated_to is not None:
            raise ValidationFailed(
                "concernIds", f"concern {self.id} was already escalated to {self.escalated_to}"
            )
        self._escalated(allegation_id=allegation_id)

    @event(Escalated)
    def _escalated(self, allegation_id: UUID) -> None:
        self.escalated_to = allegation_id
        self.status = ConcernStatus.ESCALATED

    def close(self, note: Sealed | None) -> None:
        if self.status is ConcernStatus.RAISED:
            raise ValidationFailed("concernId", "review the concern before closing it")
        if self.status is not ConcernStatus.REVIEWED:
            raise CaseClosed("concernId")
        self._closed(note=note)

    @event(Closed)
    def _closed(self, note: Sealed | None) -> None:
        self.status = ConcernStatus.CLOSED


class SocialMediaDeclaration(CaseworkAggregate):
    """A member of staff's pre-existing relationship with pupils or their families on personal
    social media; the advice given and the decision, updated when circumstances change."""

    record_type = "social_media_declaration"

    @property
    def subject_ids(self) -> frozenset[UUID]:
        return frozenset({self.staff_id})

    class Declared(CaseworkAggregate.Created):
        staff_id: UUID
        declared_at: datetime
        platform: Text
        relationship: Sealed
        pupil_ids: list[UUID]
        self_declared: bool

    class Updated(CaseworkAggregate.Event):
        staff_id: UUID
        changed_at: datetime
        circumstances: Sealed
        ended: bool

    class AdviceRecorded(CaseworkAggregate.Event):
        staff_id: UUID
        advised_at: datetime
        advice: Sealed
        decision: Sealed

    @event(Declared)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        declared_at: datetime,
        platform: Sealed,
        relationship: Sealed,
        pupil_ids: list[UUID],
        self_declared: bool,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id
        self.ended = False

    def update(self, changed_at: datetime, circumstances: Sealed, ended: bool) -> None:
        if self.ended:
            raise ValidationFailed("declarationId", "this relationship was declared ended")
        self._updated(
            staff_id=self.staff_id, changed_at=changed_at, circumstances=circumstances, ended=ended
        )

    @event(Updated)
    def _updated(
        self, staff_id: UUID, changed_at: datetime, circumstances: Sealed, ended: bool
    ) -> None:
        self.ended = ended

    def advise(self, advised_at: datetime, advice: Sealed, decision: Sealed) -> None:
        self._advised(
            staff_id=self.staff_id, advised_at=advised_at, advice=advice, decision=decision
        )

    @event(AdviceRecorded)
    def _advised(
        self, staff_id: UUID, advised_at: datetime, advice: Sealed, decision: Sealed
    ) -> None:
        pass


class ContactAttempt(CaseworkAggregate):
    """A pupil or parent tried to reach a member of staff's personal account."""

    class Reported(CaseworkAggregate.Created):
        staff_id: UUID
        occurred_at: datetime
        platform: Text
        contact_from: str
        from_person_id: UUID | None
        description: Sealed
        response: Sealed | None

    @event(Reported)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        occurred_at: datetime,
        platform: Sealed,
        contact_from: str,
        from_person_id: UUID | None,
        description: Sealed,
        response: Sealed | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id


class PresenceCheck(CaseworkAggregate):
    """An online presence check of a member of staff, governor or volunteer, and its outcome."""

    class Recorded(CaseworkAggregate.Created):
        staff_id: UUID
        checked_at: datetime
        platforms: Text
        outcome: str
        notes: Sealed | None

    @event(Recorded)
    def __init__(
        self,
        id: UUID,
        trust_id: UUID,
        school_id: UUID | None,
        staff_id: UUID,
        checked_at: datetime,
        platforms: Sealed,
        outcome: str,
        notes: Sealed | None,
    ) -> None:
        self.trust_id = trust_id
        self.school_id = school_id
        self.staff_id = staff_id
