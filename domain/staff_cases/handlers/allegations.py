"""Allegation commands: receipt (or, below the harm threshold, a low-level concern), the case
team, the LADO, actions, suspension, the outcome and what follows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from domain.directory.opening import open_staff
from domain.lado.export import committed_heads, recipient_of
from domain.shared.actor import current_principal
from domain.shared.calendar import london_today
from domain.shared.errors import ValidationFailed
from domain.shared.evidence import Evidence, sealed_evidence
from domain.shared.policy import Action, Target, authorise_case
from domain.shared.sealing import Sealed, SealingSession
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    optional_text,
    past_instant,
    required_text,
)
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.commands import (
    AddToCaseTeam,
    AssignCaseManager,
    AttachAllegationEvidence,
    CloseAllegation,
    ReceiveAllegation,
    RecordAllegationAction,
    RecordAllegationDetails,
    RecordAllegationOutcome,
    RecordLadoConsultation,
    RecordLessonsLearnt,
    RecordReferenceDeclaration,
    RecordReferralExport,
    RecordRetentionConsent,
    RecordStrategyDiscussion,
    RecordSuspensionDecision,
)
from domain.staff_cases.errors import BelowHarmThreshold, NothingToAmend
from domain.staff_cases.handlers.details import check_details
from domain.staff_cases.handlers.routing import StaffCaseBase, optional_choice
from domain.staff_cases.model import (
    AllegationActionKind,
    AllegationCategory,
    AllegationSource,
    Outcome,
    ReceivedVia,
    SuspensionDecision,
)

RETENTION_CONSENT_METHODS = ("written", "email", "signed_form")


@dataclass(frozen=True)
class Received:
    """What ``receive_allegation`` recorded: an allegation, or (below threshold) a concern."""

    record_id: UUID
    position: int
    as_low_level_concern: bool
    handler: str  # the case manager, or the concern's recipient
    lado_due_on: date | None  # an allegation's LADO deadline


class AllegationHandlers(StaffCaseBase):
    def receive_allegation(self, command: ReceiveAllegation) -> Received:
        staff = open_staff(self, command.staff_member_id, Action.RECEIVE_ALLEGATION)
        received = past_instant("receivedAt", command.received_at)
        choice("source", command.source, AllegationSource)
        choice("receivedVia", command.received_via, ReceivedVia)
        optional_choice("category", command.category, AllegationCategory)
        text = required_text("description", command.description, MAX_TEXT)
        details = check_details(self, staff.school_id, received, command.details)
        manager, basis = self._handler_for(staff)
        seal = self.keyring.session()
        harm_tests = command.harm_tests
        if not harm_tests.any_met:
            if not command.record_as_low_level_concern:
                raise BelowHarmThreshold()
            if not details.empty:
                raise ValidationFailed(
                    "details",
                    "a low-level concern records no referral details: leave them out, or put "
                    "what matters in the description",
                )
            screening: dict[str, object] = {
                **harm_tests.as_dict(),
                "outside_work": command.outside_work,
                "source": command.source,
                "received_via": command.received_via,
                "received_at": received.isoformat(),
            }
            concern = self._new_concern(
                seal, staff, text, None, london_today(received), False, manager, basis, screening
            )
            position = self.record(concern, new_keys=seal.new_keys)
            return Received(concern.id, position, True, manager, None)
        allegation = self._new_allegation(
            seal,
            staff,
            received,
            command.source,
            command.received_via,
            command.category,
            text,
            harm_tests,
            command.outside_work,
            manager,
            basis,
            [],
            details,
        )
        position = self.record(allegation, new_keys=seal.new_keys)
        return Received(allegation.id, position, False, manager, allegation.lado_due_on)

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

    def assign_case_manager(self, command: AssignCaseManager) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        user_id = self._holds_role_at(command.user_id, allegation, "userId")
        seal = self.keyring.session()
        allegation.assign_case_manager(
            user_id, seal.seal(allegation.id, required_text("reason", command.reason, MAX_TEXT))
        )
        return allegation.id, self.record(allegation)

    def add_to_case_team(self, command: AddToCaseTeam) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        user_id = self._holds_role_at(command.user_id, allegation, "userId")
        seal = self.keyring.session()
        responsibility = required_text("responsibility", command.responsibility, 200)
        allegation.add_to_team(user_id, seal.seal(allegation.id, responsibility))
        return allegation.id, self.record(allegation)

    def record_lado_consultation(self, command: RecordLadoConsultation) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id)
        seal = self.keyring.session()
        allegation.consult_lado(
            consulted_at=self._after_receipt(allegation, "consultedAt", command.consulted_at),
            lado_name=seal.seal(allegation.id, required_text("ladoName", command.lado_name)),
            reference=self._reference(seal, allegation.id, command.reference),
            advice=self._sealed(seal, allegation.id, "advice", command.advice),
            agreed_action=self._sealed(seal, allegation.id, "agreedAction", command.agreed_action),
        )
        return allegation.id, self.record(allegation)

    def record_allegation_details(self, command: RecordAllegationDetails) -> tuple[UUID, int]:
        allegation = self._allegation(
            command.allegation_id, expected_version=command.expected_version
        )
        details = check_details(self, allegation.school_id, allegation.received_at, command.details)
        if details.empty:
            raise NothingToAmend()
        seal = self.keyring.session()
        allegation.record_details(**details.sealed(seal, allegation.id))
        return allegation.id, self.record(allegation)

    def exportable_allegation(self, allegation_id: UUID) -> Allegation:
        """The allegation, if the caller may export its referral evidence: its case team and
        the trust safeguarding lead; anyone else is answered as for an unknown allegation."""
        return self._allegation(allegation_id)

    def record_referral_export(self, command: RecordReferralExport) -> tuple[UUID, int]:
        allegation = self._allegation(
            command.allegation_id, expected_version=command.expected_version
        )
        recipient = recipient_of(command.recipient)
        heads = committed_heads(command.fingerprint, command.heads)
        allegation.export_referral(
            export_id=command.export_id,
            recipient=self.keyring.session().seal(allegation.id, recipient),
            fingerprint=command.fingerprint,
            heads=heads,
        )
        return allegation.id, self.record(allegation)

    def attach_allegation_evidence(self, command: AttachAllegationEvidence) -> tuple[Evidence, int]:
        """A supporting document, for whoever may read the allegation (its case team and the
        trust safeguarding lead), checked and sealed as an incident's evidence is."""
        allegation = self._allegation(command.allegation_id)  # authorise before the file
        sealed = sealed_evidence(self.keyring.session(), allegation.id, command)
        allegation.attach_evidence(**sealed.fields())
        return sealed.evidence, self.record(allegation, blobs=sealed.blobs())

    @staticmethod
    def _after_receipt(allegation: Allegation, field: str, value: datetime) -> datetime:
        instant = past_instant(field, value)
        if instant < allegation.received_at:
            raise ValidationFailed(field, "cannot be before the allegation was received")
        return instant

    def record_allegation_action(self, command: RecordAllegationAction) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id)
        seal = self.keyring.session()
        allegation.record_action(
            action_id=uuid4(),
            kind=choice("kind", command.kind, AllegationActionKind),
            taken_at=self._after_receipt(allegation, "takenAt", command.taken_at),
            reference=self._reference(seal, allegation.id, command.reference),
            decision=self._sealed(seal, allegation.id, "decision", command.decision),
            rationale=self._sealed(seal, allegation.id, "rationale", command.rationale),
        )
        return allegation.id, self.record(allegation)

    @staticmethod
    def _reference(seal: SealingSession, subject: UUID, reference: str | None) -> Sealed | None:
        """A LADO, police, DBS or other agency's reference: it identifies the case to anyone
        who holds the other agency's records, so it is sealed like the case's narrative."""
        text = optional_text("reference", reference, 100)
        return None if text is None else seal.seal(subject, text)

    @staticmethod
    def _sealed(seal: SealingSession, subject: UUID, field: str, value: str) -> Sealed:
        """Required free text (up to the longest a text may be), sealed with the case's key."""
        return seal.seal(subject, required_text(field, value, MAX_TEXT))

    @staticmethod
    def _sealed_or_none(
        seal: SealingSession, subject: UUID, field: str, value: str | None
    ) -> Sealed | None:
        text = optional_text(field, value, MAX_TEXT)
        return seal.seal(subject, text) if text else None

    def record_strategy_discussion(self, command: RecordStrategyDiscussion) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id)
        names = [required_text("attendees", a) for a in command.attendees]
        if not names:
            raise ValidationFailed("attendees", "name who attended")
        seal = self.keyring.session()
        allegation.hold_strategy_discussion(
            held_at=self._after_receipt(allegation, "heldAt", command.held_at),
            attendees=seal.seal(allegation.id, "\n".join(names)),
            decisions=self._sealed(seal, allegation.id, "decisions", command.decisions),
            actions=self._sealed(seal, allegation.id, "actions", command.actions),
        )
        return allegation.id, self.record(allegation)

    def record_suspension_decision(self, command: RecordSuspensionDecision) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        seal = self.keyring.session()
        allegation.consider_suspension(
            considered_at=self._after_receipt(allegation, "consideredAt", command.considered_at),
            alternatives=self._sealed(seal, allegation.id, "alternatives", command.alternatives),
            decision=choice("decision", command.decision, SuspensionDecision),
            rationale=self._sealed(seal, allegation.id, "rationale", command.rationale),
        )
        return allegation.id, self.record(allegation)

    def record_allegation_outcome(self, command: RecordAllegationOutcome) -> tuple[UUID, int]:
        allegation = self._allegation(
            command.allegation_id, manage=True, expected_version=command.expected_version
        )
        chosen = Outcome(choice("outcome", command.outcome, Outcome))
        seal = self.keyring.session()
        allegation.record_outcome(
            chosen,
            past_instant("decidedAt", command.decided_at),
            self._sealed(seal, allegation.id, "summary", command.summary),
            self._sealed(seal, allegation.id, "rationale", command.rationale),
        )
        return allegation.id, self.record(allegation)

    def record_reference_declaration(self, command: RecordReferenceDeclaration) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        seal = self.keyring.session()
        allegation.declare_reference(
            command.will_be_referred_to,
            self._sealed(seal, allegation.id, "declaration", command.declaration),
        )
        return allegation.id, self.record(allegation)

    def record_retention_consent(self, command: RecordRetentionConsent) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        if command.method not in RETENTION_CONSENT_METHODS:
            raise ValidationFailed(
                "method", f"must be one of {', '.join(RETENTION_CONSENT_METHODS)}"
            )
        seal = self.keyring.session()
        note = self._sealed_or_none(seal, allegation.id, "note", command.note)
        allegation.record_retention_consent(
            past_instant("consentedAt", command.consented_at), command.method, note
        )
        return allegation.id, self.record(allegation)

    def record_lessons_learnt(self, command: RecordLessonsLearnt) -> tuple[UUID, int]:
        allegation = self._allegation(command.allegation_id, manage=True)
        seal = self.keyring.session()
        changes = self._sealed_or_none(seal, allegation.id, "changes", command.changes)
        allegation.record_lessons_learnt(
            self._sealed(seal, allegation.id, "lessons", command.lessons), changes
        )
        return allegation.id, self.record(allegation)

    def close_allegation(self, command: CloseAllegation) -> tuple[UUID, int]:
        allegation = self._allegation(
            command.allegation_id, manage=True, expected_version=command.expected_version
        )
        seal = self.keyring.session()
        allegation.close(self._sealed_or_none(seal, allegation.id, "note", command.note))
        return allegation.id, self.record(allegation)
