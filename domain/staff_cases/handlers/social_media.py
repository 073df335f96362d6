"""Staff social-media commands: declared relationships, their updates and the advice on them,
contact attempts, and online presence checks."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.directory.aggregates import Person, Pupil, StaffMember
from domain.shared import clock
from domain.shared.actor import current_principal
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.policy import Action, Target, authorise
from domain.shared.validation import MAX_TEXT, choice, optional_text, past_instant, required_text
from domain.staff_cases.commands import (
    DeclareSocialMediaRelationship,
    RecordDeclarationAdvice,
    RecordOnlinePresenceCheck,
    ReportContactAttempt,
    UpdateSocialMediaDeclaration,
)
from domain.staff_cases.handlers.routing import StaffCaseBase
from domain.staff_cases.model import ContactFrom, PresenceCheckOutcome
from domain.staff_cases.social_media import (
    ContactAttempt,
    PresenceCheck,
    SocialMediaDeclaration,
)


class SocialMediaHandlers(StaffCaseBase):
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
        self, command: DeclareSocialMediaRelationship
    ) -> tuple[UUID, int]:
        staff = self._staff_record(command.staff_member_id, Action.DECLARE_SOCIAL_MEDIA)
        for pupil_id in command.pupil_ids:
            pupil = self.get(Pupil, pupil_id, "Pupil", read_only=True)
            if pupil.school_id != staff.school_id:
                raise NotFound("Pupil", pupil_id)
        seal = self.keyring.session()
        platform = required_text("platform", command.platform, 100)
        relationship = required_text("relationship", command.relationship, MAX_TEXT)
        declaration = SocialMediaDeclaration(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            declared_at=clock.now(),
            platform=seal.seal(staff.id, platform),
            relationship=seal.seal(staff.id, relationship),
            pupil_ids=list(dict.fromkeys(command.pupil_ids)),
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
        self, command: UpdateSocialMediaDeclaration
    ) -> tuple[UUID, int]:
        declaration = self._declaration(command.declaration_id, self_service=True)
        seal = self.keyring.session()
        circumstances = required_text("circumstances", command.circumstances, MAX_TEXT)
        declaration.update(
            clock.now(), seal.seal(declaration.staff_id, circumstances), command.ended
        )
        return declaration.id, self.record(declaration)

    def record_declaration_advice(self, command: RecordDeclarationAdvice) -> tuple[UUID, int]:
        declaration = self._declaration(command.declaration_id, self_service=False)
        seal = self.keyring.session()
        staff_id = declaration.staff_id
        declaration.advise(
            clock.now(),
            seal.seal(staff_id, required_text("advice", command.advice, MAX_TEXT)),
            seal.seal(staff_id, required_text("decision", command.decision, MAX_TEXT)),
        )
        return declaration.id, self.record(declaration)

    def report_contact_attempt(self, command: ReportContactAttempt) -> tuple[UUID, int]:
        staff = self._staff_record(command.staff_member_id, Action.DECLARE_SOCIAL_MEDIA)
        choice("contactFrom", command.contact_from, ContactFrom)
        if command.from_person_id is not None:
            if command.contact_from == ContactFrom.OTHER:
                raise ValidationFailed("fromPersonId", "only a pupil or parent is named")
            person = self.get(Person, command.from_person_id, "Person", read_only=True)
            if person.school_id != staff.school_id or isinstance(person, StaffMember):
                raise NotFound("Person", command.from_person_id)
        seal = self.keyring.session()
        text = optional_text("response", command.response, MAX_TEXT)
        occurred_at = past_instant("occurredAt", command.occurred_at)
        platform = required_text("platform", command.platform, 100)
        description = required_text("description", command.description, MAX_TEXT)
        attempt = ContactAttempt(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            occurred_at=occurred_at,
            platform=seal.seal(staff.id, platform),
            contact_from=command.contact_from,
            from_person_id=command.from_person_id,
            description=seal.seal(staff.id, description),
            response=seal.seal(staff.id, text) if text else None,
        )
        return attempt.id, self.record(attempt)

    def record_online_presence_check(self, command: RecordOnlinePresenceCheck) -> tuple[UUID, int]:
        staff = self._staff_record(command.staff_member_id, None)
        seal = self.keyring.session()
        text = optional_text("notes", command.notes, MAX_TEXT)
        checked_at = past_instant("checkedAt", command.checked_at)
        platforms = required_text("platforms", command.platforms, 500)
        check = PresenceCheck(
            id=uuid4(),
            trust_id=staff.trust_id,
            school_id=staff.school_id,
            staff_id=staff.id,
            checked_at=checked_at,
            platforms=seal.seal(staff.id, platforms),
            outcome=choice("outcome", command.outcome, PresenceCheckOutcome),
            notes=seal.seal(staff.id, text) if text else None,
        )
        return check.id, self.record(check)
