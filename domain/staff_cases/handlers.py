"""KCSIE Part four commands: allegations, low-level concerns, staff social-media records.

Routing (DOMAIN.md §3 to §4): the headteacher manages an allegation and receives a low-level
concern; when the subject is a headteacher, the trust's named person does (chair of governors
or CEO). The subject is never the case manager, never on the case team, and never reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from domain.access.policy import Action, Target, authorise, authorise_case
from domain.directory.aggregates import (
    Person,
    Pupil,
    School,
    StaffCaseSettings,
    StaffMember,
    Trust,
)
from domain.shared import clock
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import due_on_working_day, london_today
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.sealing import Sealed, SealingSession
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    not_in_future,
    optional_text,
    past_instant,
    required_text,
)
from domain.staff_cases.aggregates import (
    Allegation,
    ContactAttempt,
    LowLevelConcern,
    PresenceCheck,
    SocialMediaDeclaration,
)
from domain.staff_cases.model import (
    AllegationActionKind,
    AllegationCategory,
    AllegationSource,
    CaseManagerBasis,
    ContactFrom,
    HarmTests,
    Outcome,
    PresenceCheckOutcome,
    ReceivedVia,
    SuspensionDecision,
)

MAX_LADO_WORKING_DAYS = 10
RETENTION_CONSENT_METHODS = ("written", "email", "signed_form")


class BelowHarmThreshold(ValidationFailed):
    """None of the four harm tests is met: it is a low-level concern, not an allegation."""

    code = "HARM_THRESHOLD_NOT_MET"

    def __init__(self) -> None:
        super().__init__(
            "harmTests",
            "none of the four harm tests is met, so this is a low-level concern, not an "
            "allegation: send recordAsLowLevelConcern: true to record it as one",
        )


class NoCaseManager(ValidationFailed):
    code = "NO_CASE_MANAGER"


@dataclass(frozen=True)
class Received:
    """What ``receive_allegation`` recorded: an allegation, or (below threshold) a concern."""

    record_id: UUID
    position: int
    as_low_level_concern: bool
    handler: str  # the case manager, or the concern's recipient
    lado_due_on: date | None  # an allegation's LADO deadline


def _optional_choice(field: str, value: str | None, options: type[StrEnum]) -> str | None:
    return None if value is None else choice(field, value, options)


class StaffCaseHandlers(CaseworkBase):
    # --- settings and people ------------------------------------------------------------

    def staff_case_settings(self, trust_id: UUID) -> StaffCaseSettings:
        return self.get(Trust, trust_id, "Trust", read_only=True).staff_case_settings

    def configure_staff_cases(
        self,
        trust_id: UUID,
        headteacher_case_manager: str | None,
        headteacher_case_manager_title: str | None,
        lado_working_days: int = 1,
        concern_threshold: int = 3,
    ) -> tuple[UUID, int]:
        trust = self.get(Trust, trust_id, "Trust")
        authorise(current_principal(), Action.MANAGE_TRUST_SETTINGS, Target(trust.id))
        named = optional_text("headteacherCaseManager", headteacher_case_manager)
        title = optional_text("headteacherCaseManagerTitle", headteacher_case_manager_title, 100)
        if named is not None:
            if title is None:
                raise ValidationFailed(
                    "headteacherCaseManagerTitle", "say who they are, e.g. chair of governors, CEO"
                )
            if not any(g.trust_id == trust.id for g in self.principal_for(named).grants):
                raise ValidationFailed(
                    "headteacherCaseManager", f"{named} holds no role in this trust"
                )
        if not 1 <= lado_working_days <= MAX_LADO_WORKING_DAYS:
            raise ValidationFailed("ladoWorkingDays", f"must be from 1 to {MAX_LADO_WORKING_DAYS}")
        if not 1 <= concern_threshold <= 20:
            raise ValidationFailed("concernThreshold", "must be from 1 to 20")
        trust.configure_staff_cases(
            StaffCaseSettings(named, title, lado_working_days, concern_threshold)
        )
        return trust.id, self.record(trust)

    def record_pension_age(self, staff_member_id: UUID, reaches_on: date) -> tuple[UUID, int]:
        staff = self.open(
            StaffMember,
            staff_member_id,
            "Staff member",
            Action.MANAGE_STAFF,
            view=Action.VIEW_STAFF,
        )
        staff.record_pension_age(reaches_on)
        return staff.id, self.record(staff)

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

    # --- allegations --------------------------------------------------------------------

    def receive_allegation(
        self,
        staff_member_id: UUID,
        received_at: datetime,
        source: str,
        received_via: str,
        description: str,
        harm_tests: HarmTests,
        outside_work: bool = False,
        category: str | None = None,
        record_as_low_level_concern: bool = False,
    ) -> Received:
        staff = self.open(
            StaffMember,
            staff_member_id,
            "Staff member",
            Action.RECEIVE_ALLEGATION,
            view=Action.VIEW_STAFF,
        )
        received = past_instant("receivedAt", received_at)
        choice("source", source, AllegationSource)
        choice("receivedVia", received_via, ReceivedVia)
        _optional_choice("category", category, AllegationCategory)
        text = required_text("description", description, MAX_TEXT)
        manager, basis = self._handler_for(staff)
        seal = self.keyring.session()
        if not harm_tests.any_met:
            if not record_as_low_level_concern:
                raise BelowHarmThreshold()
            screening: dict[str, object] = {
                **harm_tests.as_dict(),
                "outside_work": outside_work,
                "source": source,
                "received_via": received_via,
                "received_at": received.isoformat(),
            }
            concern = self._new_concern(
                seal, staff, text, None, london_today(received), False, manager, basis, screening
            )
            position = self.record(concern, new_keys=seal.new_keys)
            return Received(concern.id, position, True, manager, None)
        allegation = self._new_allegation(
            seal, staff, received, source, received_via, category, text, harm_tests,
            outside_work, manager, basis, [],
        )  # fmt: skip
        position = self.record(allegation, new_keys=seal.new_keys)
        return Received(allegation.id, position, False, manager, allegation.lado_due_on)

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
    ) -> Allegation:
        trust = self.get(Trust, staff.trust_id, "Trust", read_only=True)
        receiver = current_principal().user_id
        allegation_id = seal.new_subject(uuid4())
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
        )

    def _allegation(
        self, allegation_id: UUID, manage: bool = False, expected_version: int | None = None
    ) -> Allegation:
        """Load an allegation the caller may work on: ``manage`` narrows it to the case
        manager (and the trust safeguarding lead) from the whole case team."""
        return self.open(
            Allegation,
            allegation_id,
            "Allegation",
            lambda a: self._authorise_allegation(a, manage),
            expected_version,
            view=lambda a: self._authorise_allegation(a, manage=False),
        )

    def _authorise_allegation(self, allegation: Allegation, manage: bool) -> None:
        authorise_case(
            current_principal(),
            Action.OVERSEE_ALLEGATIONS,
            self.target_of(allegation),
            frozenset({allegation.case_manager}) if manage else allegation.members,
            allegation.subject_user_id,
        )

    def _holds_role_at(self, user_id: str, allegation: Allegation, field: str) -> str:
        user_id = required_text(field, user_id)
        target = Target(allegation.trust_id, allegation.school_id)
        if not any(g.reaches(target) for g in self.principal_for(user_id).grants):
            raise ValidationFailed(field, f"{user_id} holds no role at this school")
        return user_id

    def assign_case_manager(
        self, allegation_id: UUID, user_id: str, reason: str
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        user_id = self._holds_role_at(user_id, allegation, "userId")
        seal = self.keyring.session()
        allegation.assign_case_manager(
            user_id, seal.seal(allegation.id, required_text("reason", reason, MAX_TEXT))
        )
        return allegation.id, self.record(allegation)

    def add_to_case_team(
        self, allegation_id: UUID, user_id: str, responsibility: str
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        user_id = self._holds_role_at(user_id, allegation, "userId")
        seal = self.keyring.session()
        allegation.add_to_team(
            user_id,
            seal.seal(allegation.id, required_text("responsibility", responsibility, 200)),
        )
        return allegation.id, self.record(allegation)

    def record_lado_consultation(
        self,
        allegation_id: UUID,
        consulted_at: datetime,
        lado_name: str,
        advice: str,
        agreed_action: str,
        reference: str | None = None,
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id)
        seal = self.keyring.session()
        allegation.consult_lado(
            consulted_at=self._after_receipt(allegation, "consultedAt", consulted_at),
            lado_name=seal.seal(allegation.id, required_text("ladoName", lado_name)),
            reference=self._reference(seal, allegation.id, reference),
            advice=seal.seal(allegation.id, required_text("advice", advice, MAX_TEXT)),
            agreed_action=seal.seal(
                allegation.id, required_text("agreedAction", agreed_action, MAX_TEXT)
            ),
        )
        return allegation.id, self.record(allegation)

    @staticmethod
    def _after_receipt(allegation: Allegation, field: str, value: datetime) -> datetime:
        instant = past_instant(field, value)
        if instant < allegation.received_at:
            raise ValidationFailed(field, "cannot be before the allegation was received")
        return instant

    def record_allegation_action(
        self,
        allegation_id: UUID,
        kind: str,
        taken_at: datetime,
        decision: str,
        rationale: str,
        reference: str | None = None,
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id)
        seal = self.keyring.session()
        allegation.record_action(
            action_id=uuid4(),
            kind=choice("kind", kind, AllegationActionKind),
            taken_at=self._after_receipt(allegation, "takenAt", taken_at),
            reference=self._reference(seal, allegation.id, reference),
            **self._decided(seal, allegation.id, decision, rationale),
        )
        return allegation.id, self.record(allegation)

    @staticmethod
    def _reference(seal: SealingSession, subject: UUID, reference: str | None) -> Sealed | None:
        """A LADO, police, DBS or other agency's reference: it identifies the case to anyone
        who holds the other agency's records, so it is sealed like the case's narrative."""
        text = optional_text("reference", reference, 100)
        return None if text is None else seal.seal(subject, text)

    @staticmethod
    def _decided(
        seal: SealingSession, subject: UUID, decision: str, rationale: str
    ) -> dict[str, Sealed]:
        return {
            "decision": seal.seal(subject, required_text("decision", decision, MAX_TEXT)),
            "rationale": seal.seal(subject, required_text("rationale", rationale, MAX_TEXT)),
        }

    def record_strategy_discussion(
        self,
        allegation_id: UUID,
        held_at: datetime,
        attendees: Sequence[str],
        decisions: str,
        actions: str,
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id)
        names = [required_text("attendees", a) for a in attendees]
        if not names:
            raise ValidationFailed("attendees", "name who attended")
        seal = self.keyring.session()
        allegation.hold_strategy_discussion(
            held_at=self._after_receipt(allegation, "heldAt", held_at),
            attendees=seal.seal(allegation.id, "\n".join(names)),
            decisions=seal.seal(allegation.id, required_text("decisions", decisions, MAX_TEXT)),
            actions=seal.seal(allegation.id, required_text("actions", actions, MAX_TEXT)),
        )
        return allegation.id, self.record(allegation)

    def record_suspension_decision(
        self,
        allegation_id: UUID,
        considered_at: datetime,
        alternatives: str,
        decision: str,
        rationale: str,
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        seal = self.keyring.session()
        allegation.consider_suspension(
            considered_at=self._after_receipt(allegation, "consideredAt", considered_at),
            alternatives=seal.seal(
                allegation.id, required_text("alternatives", alternatives, MAX_TEXT)
            ),
            decision=choice("decision", decision, SuspensionDecision),
            rationale=seal.seal(allegation.id, required_text("rationale", rationale, MAX_TEXT)),
        )
        return allegation.id, self.record(allegation)

    def record_allegation_outcome(
        self,
        allegation_id: UUID,
        outcome: str,
        decided_at: datetime,
        summary: str,
        rationale: str,
        expected_version: int | None = None,
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True, expected_version=expected_version)
        chosen = Outcome(choice("outcome", outcome, Outcome))
        seal = self.keyring.session()
        allegation.record_outcome(
            chosen,
            past_instant("decidedAt", decided_at),
            seal.seal(allegation.id, required_text("summary", summary, MAX_TEXT)),
            seal.seal(allegation.id, required_text("rationale", rationale, MAX_TEXT)),
        )
        return allegation.id, self.record(allegation)

    def record_reference_declaration(
        self, allegation_id: UUID, will_be_referred_to: bool, declaration: str
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        seal = self.keyring.session()
        allegation.declare_reference(
            will_be_referred_to,
            seal.seal(allegation.id, required_text("declaration", declaration, MAX_TEXT)),
        )
        return allegation.id, self.record(allegation)

    def record_retention_consent(
        self, allegation_id: UUID, consented_at: datetime, method: str, note: str | None = None
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        if method not in RETENTION_CONSENT_METHODS:
            raise ValidationFailed(
                "method", f"must be one of {', '.join(RETENTION_CONSENT_METHODS)}"
            )
        seal = self.keyring.session()
        text = optional_text("note", note, MAX_TEXT)
        allegation.record_retention_consent(
            past_instant("consentedAt", consented_at),
            method,
            seal.seal(allegation.id, text) if text else None,
        )
        return allegation.id, self.record(allegation)

    def record_lessons_learnt(
        self, allegation_id: UUID, lessons: str, changes: str | None = None
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True)
        seal = self.keyring.session()
        text = optional_text("changes", changes, MAX_TEXT)
        allegation.record_lessons_learnt(
            seal.seal(allegation.id, required_text("lessons", lessons, MAX_TEXT)),
            seal.seal(allegation.id, text) if text else None,
        )
        return allegation.id, self.record(allegation)

    def close_allegation(
        self, allegation_id: UUID, note: str | None = None, expected_version: int | None = None
    ) -> tuple[UUID, int]:
        allegation = self._allegation(allegation_id, manage=True, expected_version=expected_version)
        seal = self.keyring.session()
        text = optional_text("note", note, MAX_TEXT)
        allegation.close(seal.seal(allegation.id, text) if text else None)
        return allegation.id, self.record(allegation)

    # --- low-level concerns -------------------------------------------------------------

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

    def raise_low_level_concern(
        self,
        staff_member_id: UUID,
        details: str,
        context: str | None = None,
        occurred_on: date | None = None,
        withhold_name_from_subject: bool = False,
    ) -> tuple[UUID, int]:
        """Any member of staff, about a colleague or about themselves (self-reporting)."""
        staff = self.open(
            StaffMember,
            staff_member_id,
            "Staff member",
            lambda staff: authorise(
                current_principal(),
                Action.RAISE_LOW_LEVEL_CONCERN,
                Target(staff.trust_id, staff.school_id),  # no subject check: self-reports welcome
            ),
        )
        text = required_text("details", details, MAX_TEXT)
        if occurred_on is not None:
            not_in_future("occurredOn", occurred_on)
        recipient, basis = self._handler_for(staff)
        seal = self.keyring.session()
        concern = self._new_concern(
            seal, staff, text, optional_text("context", context, MAX_TEXT), occurred_on,
            withhold_name_from_subject, recipient, basis, None,
        )  # fmt: skip
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

    def review_low_level_concern(
        self, concern_id: UUID, action_taken: str, rationale: str
    ) -> tuple[UUID, int]:
        concern = self._concern(concern_id)
        seal = self.keyring.session()
        concern.review(
            clock.now(),
            seal.seal(concern.id, required_text("actionTaken", action_taken, MAX_TEXT)),
            seal.seal(concern.id, required_text("rationale", rationale, MAX_TEXT)),
        )
        return concern.id, self.record(concern)

    def close_low_level_concern(
        self, concern_id: UUID, note: str | None = None
    ) -> tuple[UUID, int]:
        concern = self._concern(concern_id)
        seal = self.keyring.session()
        text = optional_text("note", note, MAX_TEXT)
        concern.close(seal.seal(concern.id, text) if text else None)
        return concern.id, self.record(concern)

    def escalate_low_level_concerns(
        self,
        concern_ids: Sequence[UUID],
        description: str,
        harm_tests: HarmTests,
        outside_work: bool = False,
        category: str | None = None,
    ) -> tuple[UUID, int]:
        """A pattern of low-level concerns that meets the harm threshold becomes an allegation;
        each concern and the allegation refer to each other."""
        if not concern_ids:
            raise ValidationFailed("concernIds", "name at least one low-level concern")
        if len(set(concern_ids)) != len(concern_ids):
            raise ValidationFailed("concernIds", "a concern is named twice")
        concerns = [self._concern(c) for c in concern_ids]
        if len({c.subject_id for c in concerns}) > 1:
            raise ValidationFailed("concernIds", "the concerns are about different people")
        if not harm_tests.any_met:
            raise ValidationFailed(
                "harmTests", "escalation to an allegation needs at least one harm test met"
            )
        _optional_choice("category", category, AllegationCategory)
        staff = self._staff(concerns[0].subject_id)
        principal = current_principal()
        if any(principal.user_id not in c.members for c in concerns):
            # The recipient of the concerns (e.g. the named person, for a headteacher) may
            # escalate them; anyone else needs to be someone who receives allegations.
            authorise(principal, Action.RECEIVE_ALLEGATION, self._staff_target(staff))
        manager, basis = self._handler_for(staff)
        seal = self.keyring.session()
        allegation = self._new_allegation(
            seal, staff, clock.now(), AllegationSource.COLLEAGUE.value,
            ReceivedVia.LOW_LEVEL_CONCERN_REVIEW.value, category,
            required_text("description", description, MAX_TEXT), harm_tests, outside_work,
            manager, basis, [c.id for c in concerns],
        )  # fmt: skip
        for concern in concerns:
            concern.escalate(allegation.id)
        changed: list[CaseworkAggregate] = [allegation, *concerns]
        return allegation.id, self.record(*changed, new_keys=seal.new_keys)

    # --- staff social media -------------------------------------------------------------

    def _staff_record(self, staff_member_id: UUID, self_service: Action | None) -> StaffMember:
        """A member of staff's social-media record: they may add to their own (``self_service``);
        the headteacher, DSLs and trust safeguarding lead handle everyone's."""

        return self.open(
            StaffMember,
            staff_member_id,
            "Staff member",
            lambda staff: self._authorise_social_media(staff, self_service),
        )

    def _authorise_social_media(self, staff: StaffMember, self_service: Action | None) -> None:
        principal = current_principal()
        if self_service is not None and staff.id in principal.subject_of:
            authorise(principal, self_service, Target(staff.trust_id, staff.school_id))
        else:
            authorise(principal, Action.HANDLE_SOCIAL_MEDIA, self._staff_target(staff))

    def declare_social_media_relationship(
        self,
        staff_member_id: UUID,
        platform: str,
        relationship: str,
        pupil_ids: Sequence[UUID] = (),
    ) -> tuple[UUID, int]:
        staff = self._staff_record(staff_member_id, Action.DECLARE_SOCIAL_MEDIA)
        for pupil_id in pupil_ids:
            pupil = self.get(Pupil, pupil_id, "Pupil", read_only=True)
            if pupil.school_id != staff.school_id:
                raise NotFound("Pupil", pupil_id)
        seal = self.keyring.session()
        declaration = SocialMediaDeclaration(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            declared_at=clock.now(),
            platform=seal.seal(staff.id, required_text("platform", platform, 100)),
            relationship=seal.seal(staff.id, required_text("relationship", relationship, MAX_TEXT)),
            pupil_ids=list(dict.fromkeys(pupil_ids)),
            self_declared=staff.id in current_principal().subject_of,
        )
        return declaration.id, self.record(declaration)

    def _declaration(self, declaration_id: UUID, self_service: bool) -> SocialMediaDeclaration:
        return self.open(
            SocialMediaDeclaration,
            declaration_id,
            "Declaration",
            lambda declaration: self._authorise_social_media(
                self.get(StaffMember, declaration.staff_id, "Staff member", read_only=True),
                Action.DECLARE_SOCIAL_MEDIA if self_service else None,
            ),
        )

    def update_social_media_declaration(
        self, declaration_id: UUID, circumstances: str, ended: bool = False
    ) -> tuple[UUID, int]:
        declaration = self._declaration(declaration_id, self_service=True)
        seal = self.keyring.session()
        declaration.update(
            clock.now(),
            seal.seal(
                declaration.staff_id, required_text("circumstances", circumstances, MAX_TEXT)
            ),
            ended,
        )
        return declaration.id, self.record(declaration)

    def record_declaration_advice(
        self, declaration_id: UUID, advice: str, decision: str
    ) -> tuple[UUID, int]:
        declaration = self._declaration(declaration_id, self_service=False)
        seal = self.keyring.session()
        declaration.advise(
            clock.now(),
            seal.seal(declaration.staff_id, required_text("advice", advice, MAX_TEXT)),
            seal.seal(declaration.staff_id, required_text("decision", decision, MAX_TEXT)),
        )
        return declaration.id, self.record(declaration)

    def report_contact_attempt(
        self,
        staff_member_id: UUID,
        occurred_at: datetime,
        platform: str,
        contact_from: str,
        description: str,
        from_person_id: UUID | None = None,
        response: str | None = None,
    ) -> tuple[UUID, int]:
        staff = self._staff_record(staff_member_id, Action.DECLARE_SOCIAL_MEDIA)
        choice("contactFrom", contact_from, ContactFrom)
        if from_person_id is not None:
            if contact_from == ContactFrom.OTHER:
                raise ValidationFailed("fromPersonId", "only a pupil or parent is named")
            person = self.get(Person, from_person_id, "Person", read_only=True)
            if person.school_id != staff.school_id or isinstance(person, StaffMember):
                raise NotFound("Person", from_person_id)
        seal = self.keyring.session()
        text = optional_text("response", response, MAX_TEXT)
        attempt = ContactAttempt(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            occurred_at=past_instant("occurredAt", occurred_at),
            platform=seal.seal(staff.id, required_text("platform", platform, 100)),
            contact_from=contact_from,
            from_person_id=from_person_id,
            description=seal.seal(staff.id, required_text("description", description, MAX_TEXT)),
            response=seal.seal(staff.id, text) if text else None,
        )
        return attempt.id, self.record(attempt)

    def record_online_presence_check(
        self,
        staff_member_id: UUID,
        checked_at: datetime,
        platforms: str,
        outcome: str,
        notes: str | None = None,
    ) -> tuple[UUID, int]:
        staff = self._staff_record(staff_member_id, None)
        seal = self.keyring.session()
        text = optional_text("notes", notes, MAX_TEXT)
        check = PresenceCheck(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            checked_at=past_instant("checkedAt", checked_at),
            platforms=seal.seal(staff.id, required_text("platforms", platforms, 500)),
            outcome=choice("outcome", outcome, PresenceCheckOutcome),
            notes=seal.seal(staff.id, text) if text else None,
        )
        return check.id, self.record(check)
