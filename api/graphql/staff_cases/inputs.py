"""The staff-case mutation inputs; each converts itself to the command it asks for."""

import datetime

import strawberry
from strawberry.file_uploads import Upload

from api.graphql.common import optional_uuid, parse_id
from api.graphql.enums import (
    AllegationActionKind,
    AllegationCategory,
    AllegationSource,
    ChildRelationship,
    ContactFrom,
    Outcome,
    PresenceCheckOutcome,
    ReceivedVia,
    SuspensionDecision,
    YesNoNotKnown,
)
from api.graphql.evidence import sent_file
from domain.staff_cases import commands
from domain.staff_cases.model import HarmTests


@strawberry.input(description="KCSIE para 356: answer each test separately.")
class HarmTestsInput:
    harmed_child: bool
    possible_offence: bool
    risk_of_harm: bool
    unsuitable: bool

    def to_harm_tests(self) -> HarmTests:
        return HarmTests(
            harmed_child=self.harmed_child,
            possible_offence=self.possible_offence,
            risk_of_harm=self.risk_of_harm,
            unsuitable=self.unsuitable,
        )


def _category(category: AllegationCategory | None) -> str | None:
    return None if category is None else category.value


@strawberry.input(description="A pupil of the allegation's school, on roll when it was received.")
class ChildConcernedInput:
    pupil_id: strawberry.ID
    relationship: ChildRelationship

    def to_child(self) -> commands.ChildConcerned:
        return commands.ChildConcerned(
            pupil_id=parse_id("pupilId", self.pupil_id), relationship=self.relationship.value
        )


def _answer(answer: YesNoNotKnown | None) -> str | None:
    return None if answer is None else answer.value


@strawberry.input(
    description="What LADO referral forms ask for beyond the description; each optional. In "
    "an amendment each one given replaces what was recorded, and the others stay as they are."
)
class AllegationDetailsInput:
    children_concerned: list[ChildConcernedInput] | None = strawberry.field(
        default=None,
        description="The children it concerns, each with how; given, it replaces the whole list.",
    )
    location: str | None = strawberry.field(
        default=None, description="Where it happened (at most 500 characters)."
    )
    more_than_one_incident: YesNoNotKnown | None = None
    after_physical_intervention: YesNoNotKnown | None = strawberry.field(
        default=None, description="Whether it followed an authorised physical intervention."
    )
    injury: str | None = strawberry.field(default=None, description="Any injury, as described.")
    others_told: str | None = strawberry.field(
        default=None, description="Who else was told of it, and when."
    )

    def to_details(self) -> commands.AllegationDetails:
        children = self.children_concerned
        return commands.AllegationDetails(
            children=None if children is None else [c.to_child() for c in children],
            location=self.location,
            more_than_one_incident=_answer(self.more_than_one_incident),
            after_physical_intervention=_answer(self.after_physical_intervention),
            injury=self.injury,
            others_told=self.others_told,
        )


@strawberry.input
class ReceiveAllegationInput:
    staff_member_id: strawberry.ID
    received_at: datetime.datetime = strawberry.field(description="With a time zone offset.")
    source: AllegationSource
    received_via: ReceivedVia
    description: str
    harm_tests: HarmTestsInput
    outside_work: bool = False
    category: AllegationCategory | None = None
    record_as_low_level_concern: bool = strawberry.field(
        default=False,
        description="When no harm test is met, record it as a low-level concern instead "
        "(otherwise refused with HARM_THRESHOLD_NOT_MET).",
    )
    details: AllegationDetailsInput | None = strawberry.field(
        default=None,
        description="The children it concerns, location, injury and the rest a LADO referral "
        "form asks for (not with recordAsLowLevelConcern).",
    )

    def to_command(self) -> commands.ReceiveAllegation:
        return commands.ReceiveAllegation(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            received_at=self.received_at,
            source=self.source.value,
            received_via=self.received_via.value,
            description=self.description,
            harm_tests=self.harm_tests.to_harm_tests(),
            outside_work=self.outside_work,
            category=_category(self.category),
            record_as_low_level_concern=self.record_as_low_level_concern,
            details=commands.AllegationDetails()
            if self.details is None
            else self.details.to_details(),
        )


@strawberry.input
class RecordAllegationDetailsInput:
    allegation_id: strawberry.ID
    details: AllegationDetailsInput
    expected_version: int | None = None

    def to_command(self) -> commands.RecordAllegationDetails:
        return commands.RecordAllegationDetails(
            allegation_id=parse_id("allegationId", self.allegation_id),
            details=self.details.to_details(),
            expected_version=self.expected_version,
        )


@strawberry.input
class AttachAllegationEvidenceInput:
    allegation_id: strawberry.ID
    file: Upload = strawberry.field(description="Sent as a GraphQL multipart request.")
    note: str | None = None

    def to_command(self) -> commands.AttachAllegationEvidence:
        return commands.AttachAllegationEvidence(
            allegation_id=parse_id("allegationId", self.allegation_id),
            note=self.note,
            **sent_file(self.file),
        )


@strawberry.input
class AssignCaseManagerInput:
    allegation_id: strawberry.ID
    user_id: str
    reason: str = strawberry.field(description="Why the rule's choice is overridden.")

    def to_command(self) -> commands.AssignCaseManager:
        return commands.AssignCaseManager(
            allegation_id=parse_id("allegationId", self.allegation_id),
            user_id=self.user_id,
            reason=self.reason,
        )


@strawberry.input
class AddToCaseTeamInput:
    allegation_id: strawberry.ID
    user_id: str
    responsibility: str = strawberry.field(description="e.g. DSL, HR adviser, investigator.")

    def to_command(self) -> commands.AddToCaseTeam:
        return commands.AddToCaseTeam(
            allegation_id=parse_id("allegationId", self.allegation_id),
            user_id=self.user_id,
            responsibility=self.responsibility,
        )


@strawberry.input
class RecordLadoConsultationInput:
    allegation_id: strawberry.ID
    consulted_at: datetime.datetime
    lado_name: str
    advice: str
    agreed_action: str
    reference: str | None = None

    def to_command(self) -> commands.RecordLadoConsultation:
        return commands.RecordLadoConsultation(
            allegation_id=parse_id("allegationId", self.allegation_id),
            consulted_at=self.consulted_at,
            lado_name=self.lado_name,
            advice=self.advice,
            agreed_action=self.agreed_action,
            reference=self.reference,
        )


@strawberry.input
class RecordAllegationActionInput:
    allegation_id: strawberry.ID
    kind: AllegationActionKind
    taken_at: datetime.datetime
    decision: str
    rationale: str
    reference: str | None = None

    def to_command(self) -> commands.RecordAllegationAction:
        return commands.RecordAllegationAction(
            allegation_id=parse_id("allegationId", self.allegation_id),
            kind=self.kind.value,
            taken_at=self.taken_at,
            decision=self.decision,
            rationale=self.rationale,
            reference=self.reference,
        )


@strawberry.input
class RecordStrategyDiscussionInput:
    allegation_id: strawberry.ID
    held_at: datetime.datetime
    attendees: list[str]
    decisions: str
    actions: str

    def to_command(self) -> commands.RecordStrategyDiscussion:
        return commands.RecordStrategyDiscussion(
            allegation_id=parse_id("allegationId", self.allegation_id),
            held_at=self.held_at,
            attendees=tuple(self.attendees),
            decisions=self.decisions,
            actions=self.actions,
        )


@strawberry.input
class RecordSuspensionDecisionInput:
    allegation_id: strawberry.ID
    considered_at: datetime.datetime
    alternatives: str = strawberry.field(description="The alternatives considered first.")
    decision: SuspensionDecision
    rationale: str

    def to_command(self) -> commands.RecordSuspensionDecision:
        return commands.RecordSuspensionDecision(
            allegation_id=parse_id("allegationId", self.allegation_id),
            considered_at=self.considered_at,
            alternatives=self.alternatives,
            decision=self.decision.value,
            rationale=self.rationale,
        )


@strawberry.input
class RecordAllegationOutcomeInput:
    allegation_id: strawberry.ID
    outcome: Outcome
    decided_at: datetime.datetime
    summary: str
    rationale: str
    expected_version: int | None = None

    def to_command(self) -> commands.RecordAllegationOutcome:
        return commands.RecordAllegationOutcome(
            allegation_id=parse_id("allegationId", self.allegation_id),
            outcome=self.outcome.value,
            decided_at=self.decided_at,
            summary=self.summary,
            rationale=self.rationale,
            expected_version=self.expected_version,
        )


@strawberry.input
class RecordReferenceDeclarationInput:
    allegation_id: strawberry.ID
    will_be_referred_to: bool = strawberry.field(
        description="Only a substantiated allegation may be referred to."
    )
    declaration: str

    def to_command(self) -> commands.RecordReferenceDeclaration:
        return commands.RecordReferenceDeclaration(
            allegation_id=parse_id("allegationId", self.allegation_id),
            will_be_referred_to=self.will_be_referred_to,
            declaration=self.declaration,
        )


@strawberry.input
class RecordRetentionConsentInput:
    allegation_id: strawberry.ID
    consented_at: datetime.datetime
    method: str = strawberry.field(description="written, email or signed_form.")
    note: str | None = None

    def to_command(self) -> commands.RecordRetentionConsent:
        return commands.RecordRetentionConsent(
            allegation_id=parse_id("allegationId", self.allegation_id),
            consented_at=self.consented_at,
            method=self.method,
            note=self.note,
        )


@strawberry.input
class RecordLessonsLearntInput:
    allegation_id: strawberry.ID
    lessons: str
    changes: str | None = strawberry.field(default=None, description="Policy or practice changes.")

    def to_command(self) -> commands.RecordLessonsLearnt:
        return commands.RecordLessonsLearnt(
            allegation_id=parse_id("allegationId", self.allegation_id),
            lessons=self.lessons,
            changes=self.changes,
        )


@strawberry.input
class CloseAllegationInput:
    allegation_id: strawberry.ID
    note: str | None = None
    expected_version: int | None = None

    def to_command(self) -> commands.CloseAllegation:
        return commands.CloseAllegation(
            allegation_id=parse_id("allegationId", self.allegation_id),
            note=self.note,
            expected_version=self.expected_version,
        )


@strawberry.input
class RaiseLowLevelConcernInput:
    staff_member_id: strawberry.ID = strawberry.field(description="A colleague, or yourself.")
    details: str
    context: str | None = None
    occurred_on: datetime.date | None = None
    withhold_name_from_subject: bool = strawberry.field(
        default=False, description="Ask not to be named to the member of staff."
    )

    def to_command(self) -> commands.RaiseLowLevelConcern:
        return commands.RaiseLowLevelConcern(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            details=self.details,
            context=self.context,
            occurred_on=self.occurred_on,
            withhold_name_from_subject=self.withhold_name_from_subject,
        )


@strawberry.input
class ReviewLowLevelConcernInput:
    concern_id: strawberry.ID
    action_taken: str
    rationale: str

    def to_command(self) -> commands.ReviewLowLevelConcern:
        return commands.ReviewLowLevelConcern(
            concern_id=parse_id("concernId", self.concern_id),
            action_taken=self.action_taken,
            rationale=self.rationale,
        )


@strawberry.input
class CloseLowLevelConcernInput:
    concern_id: strawberry.ID
    note: str | None = None

    def to_command(self) -> commands.CloseLowLevelConcern:
        return commands.CloseLowLevelConcern(
            concern_id=parse_id("concernId", self.concern_id), note=self.note
        )


@strawberry.input
class EscalateLowLevelConcernsInput:
    concern_ids: list[strawberry.ID]
    description: str
    harm_tests: HarmTestsInput
    outside_work: bool = False
    category: AllegationCategory | None = None

    def to_command(self) -> commands.EscalateLowLevelConcerns:
        return commands.EscalateLowLevelConcerns(
            concern_ids=tuple(parse_id("concernIds", c) for c in self.concern_ids),
            description=self.description,
            harm_tests=self.harm_tests.to_harm_tests(),
            outside_work=self.outside_work,
            category=_category(self.category),
        )


@strawberry.input
class DeclareSocialMediaRelationshipInput:
    staff_member_id: strawberry.ID = strawberry.field(description="Yourself, usually.")
    platform: str
    relationship: str = strawberry.field(
        description="With whom (pupils or their families) and how the relationship arose."
    )
    pupil_ids: list[strawberry.ID] = strawberry.field(default_factory=list)

    def to_command(self) -> commands.DeclareSocialMediaRelationship:
        return commands.DeclareSocialMediaRelationship(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            platform=self.platform,
            relationship=self.relationship,
            pupil_ids=tuple(parse_id("pupilIds", p) for p in self.pupil_ids),
        )


@strawberry.input
class UpdateSocialMediaDeclarationInput:
    declaration_id: strawberry.ID
    circumstances: str
    ended: bool = False

    def to_command(self) -> commands.UpdateSocialMediaDeclaration:
        return commands.UpdateSocialMediaDeclaration(
            declaration_id=parse_id("declarationId", self.declaration_id),
            circumstances=self.circumstances,
            ended=self.ended,
        )


@strawberry.input
class RecordDeclarationAdviceInput:
    declaration_id: strawberry.ID
    advice: str
    decision: str

    def to_command(self) -> commands.RecordDeclarationAdvice:
        return commands.RecordDeclarationAdvice(
            declaration_id=parse_id("declarationId", self.declaration_id),
            advice=self.advice,
            decision=self.decision,
        )


@strawberry.input
class ReportContactAttemptInput:
    staff_member_id: strawberry.ID
    occurred_at: datetime.datetime
    platform: str
    contact_from: ContactFrom
    description: str
    from_person_id: strawberry.ID | None = strawberry.field(
        default=None, description="The pupil or parent/carer, when known."
    )
    response: str | None = None

    def to_command(self) -> commands.ReportContactAttempt:
        return commands.ReportContactAttempt(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            occurred_at=self.occurred_at,
            platform=self.platform,
            contact_from=self.contact_from.value,
            description=self.description,
            from_person_id=optional_uuid("fromPersonId", self.from_person_id),
            response=self.response,
        )


@strawberry.input
class RecordOnlinePresenceCheckInput:
    staff_member_id: strawberry.ID
    checked_at: datetime.datetime
    platforms: str
    outcome: PresenceCheckOutcome
    notes: str | None = None

    def to_command(self) -> commands.RecordOnlinePresenceCheck:
        return commands.RecordOnlinePresenceCheck(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            checked_at=self.checked_at,
            platforms=self.platforms,
            outcome=self.outcome.value,
            notes=self.notes,
        )


@strawberry.input
class ConfigureStaffCasesInput:
    trust_id: strawberry.ID
    headteacher_case_manager: str | None = strawberry.field(
        default=None,
        description="The user who handles allegations and low-level concerns about a headteacher.",
    )
    headteacher_case_manager_title: str | None = strawberry.field(
        default=None, description="e.g. chair of governors, CEO."
    )
    lado_working_days: int = strawberry.field(
        default=1, description="Working days from receipt to LADO consultation."
    )
    concern_threshold: int = strawberry.field(
        default=3, description="Low-level concerns in 12 months that raise a pattern flag."
    )

    def to_command(self) -> commands.ConfigureStaffCases:
        return commands.ConfigureStaffCases(
            trust_id=parse_id("trustId", self.trust_id),
            headteacher_case_manager=self.headteacher_case_manager,
            headteacher_case_manager_title=self.headteacher_case_manager_title,
            lado_working_days=self.lado_working_days,
            concern_threshold=self.concern_threshold,
        )


@strawberry.input
class RecordStaffPensionAgeInput:
    staff_member_id: strawberry.ID
    reaches_on: datetime.date = strawberry.field(
        description="When the person reaches normal pension age (for allegation retention)."
    )

    def to_command(self) -> commands.RecordPensionAge:
        return commands.RecordPensionAge(
            staff_member_id=parse_id("staffMemberId", self.staff_member_id),
            reaches_on=self.reaches_on,
        )
