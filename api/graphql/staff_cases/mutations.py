"""The staff-case mutations: each runs one command (``domain/staff_cases/commands.py``) from
its input (``inputs.py``) and answers what it recorded, or a typed error."""

import datetime

import strawberry

from api.graphql.common import (
    Position,
    answering_mutation,
    command_mutation,
    result_union,
    to_id,
)
from api.graphql.evidence import attached
from api.graphql.staff_cases.inputs import (
    AddToCaseTeamInput,
    AssignCaseManagerInput,
    AttachAllegationEvidenceInput,
    CloseAllegationInput,
    CloseLowLevelConcernInput,
    ConfigureStaffCasesInput,
    DeclareSocialMediaRelationshipInput,
    EscalateLowLevelConcernsInput,
    RaiseLowLevelConcernInput,
    ReceiveAllegationInput,
    RecordAllegationActionInput,
    RecordAllegationDetailsInput,
    RecordAllegationOutcomeInput,
    RecordDeclarationAdviceInput,
    RecordLadoConsultationInput,
    RecordLessonsLearntInput,
    RecordOnlinePresenceCheckInput,
    RecordReferenceDeclarationInput,
    RecordRetentionConsentInput,
    RecordStaffPensionAgeInput,
    RecordStrategyDiscussionInput,
    RecordSuspensionDecisionInput,
    ReportContactAttemptInput,
    ReviewLowLevelConcernInput,
    UpdateSocialMediaDeclarationInput,
)
from domain.application import CaseworkApplication as App
from domain.staff_cases.handlers import Received


@strawberry.type(description="What was recorded, and where in the event store.")
class StaffCaseChanged:
    id: strawberry.ID = strawberry.field(
        description="The allegation, concern, declaration, attempt, check, trust or staff member."
    )
    position: Position


@strawberry.type
class AllegationReceived:
    allegation_id: strawberry.ID
    case_manager: str
    lado_due_on: datetime.date
    position: Position


@strawberry.type(description="No harm test was met: recorded as a low-level concern instead.")
class RecordedAsLowLevelConcern:
    concern_id: strawberry.ID
    position: Position


@strawberry.type(description="The supporting document stored, as it was stored.")
class AllegationEvidenceAttached:
    allegation_id: strawberry.ID
    file_id: strawberry.ID
    sha256: str = strawberry.field(description="The file's SHA-256 (hex), as recorded.")
    size: int
    position: Position


StaffCaseResult = result_union("StaffCaseResult", StaffCaseChanged)
AttachAllegationEvidenceResult = result_union(
    "AttachAllegationEvidenceResult", AllegationEvidenceAttached
)
ReceiveAllegationResult = result_union(
    "ReceiveAllegationResult", AllegationReceived | RecordedAsLowLevelConcern
)


def _received(received: Received) -> AllegationReceived | RecordedAsLowLevelConcern:
    position = Position(received.position)
    if received.as_low_level_concern:
        return RecordedAsLowLevelConcern(concern_id=to_id(received.record_id), position=position)
    if received.lado_due_on is None:
        raise TypeError("an allegation was received without its LADO deadline")
    return AllegationReceived(
        allegation_id=to_id(received.record_id),
        case_manager=received.handler,
        lado_due_on=received.lado_due_on,
        position=position,
    )


def _evidence_attached(
    app: App, input: AttachAllegationEvidenceInput
) -> AllegationEvidenceAttached:
    attach = input.to_command()
    evidence, position = app.attach_allegation_evidence(attach)
    return AllegationEvidenceAttached(
        allegation_id=to_id(attach.allegation_id), **attached(evidence, position)
    )


@strawberry.type
class StaffCaseMutation:
    receive_allegation = answering_mutation(
        lambda app, input: _received(app.receive_allegation(input.to_command())),
        ReceiveAllegationInput,
        ReceiveAllegationResult,
        "Receive an allegation about a member of staff (headteacher, DSLs, chair, trust "
        "safeguarding lead). The case manager is chosen by rule and the LADO deadline set; with "
        "no harm test met it is refused, or recorded as a low-level concern on request.",
    )

    record_allegation_details = command_mutation(
        App.record_allegation_details,
        RecordAllegationDetailsInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record or amend what LADO referral forms ask for: the children it concerns, location, "
        "more than one incident, after an authorised physical intervention, injury, who else "
        "was told (the case team, trust safeguarding lead). Refused once the case is closed.",
    )
    attach_allegation_evidence = answering_mutation(
        _evidence_attached,
        AttachAllegationEvidenceInput,
        AttachAllegationEvidenceResult,
        "Attach a supporting document (the case team, trust safeguarding lead: whoever reads "
        "the allegation): its type is checked against its bytes, its SHA-256 recorded, and it "
        "is sealed with the allegation's key. Refused once the case is closed.",
    )
    assign_case_manager = command_mutation(
        App.assign_case_manager,
        AssignCaseManagerInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Override the rule's case manager, with a reason (case manager, trust safeguarding lead). "
        "Never the subject.",
    )
    add_to_case_team = command_mutation(
        App.add_to_case_team,
        AddToCaseTeamInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Add a named person to the case team (case manager, trust safeguarding lead).",
    )
    record_lado_consultation = command_mutation(
        App.record_lado_consultation,
        RecordLadoConsultationInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record the LADO consultation: name, reference, advice and the agreed course of action.",
    )
    record_allegation_action = command_mutation(
        App.record_allegation_action,
        RecordAllegationActionInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record a step: an immediate referral, investigation, subject informed, DBS or TRA "
        "referral considered or made; with who, when, decision and rationale.",
    )
    record_strategy_discussion = command_mutation(
        App.record_strategy_discussion,
        RecordStrategyDiscussionInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record a strategy discussion: attendees, decisions and actions.",
    )
    record_suspension_decision = command_mutation(
        App.record_suspension_decision,
        RecordSuspensionDecisionInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record that suspension was considered: the alternatives, the decision and why.",
    )
    record_allegation_outcome = command_mutation(
        App.record_allegation_outcome,
        RecordAllegationOutcomeInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record the outcome: exactly one of the five (case manager, trust safeguarding lead).",
    )
    record_reference_declaration = command_mutation(
        App.record_reference_declaration,
        RecordReferenceDeclarationInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Declare whether the allegation will be referred to in future references (only a "
        "substantiated one may be).",
    )
    record_retention_consent = command_mutation(
        App.record_retention_consent,
        RecordRetentionConsentInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record the subject's consent to keep a malicious or false allegation on their record.",
    )
    record_lessons_learnt = command_mutation(
        App.record_lessons_learnt,
        RecordLessonsLearntInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record the lessons-learnt review at the end of the case.",
    )
    close_allegation = command_mutation(
        App.close_allegation,
        CloseAllegationInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Close the case (it needs an outcome).",
    )
    raise_low_level_concern = command_mutation(
        App.raise_low_level_concern,
        RaiseLowLevelConcernInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Raise a low-level concern about a colleague, or about yourself (any member of staff). "
        "It goes to the headteacher, or the trust's named person if about the headteacher.",
    )
    review_low_level_concern = command_mutation(
        App.review_low_level_concern,
        ReviewLowLevelConcernInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Review a low-level concern: the action taken and its rationale.",
    )
    close_low_level_concern = command_mutation(
        App.close_low_level_concern,
        CloseLowLevelConcernInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Close a reviewed low-level concern.",
    )
    escalate_low_level_concerns = command_mutation(
        App.escalate_low_level_concerns,
        EscalateLowLevelConcernsInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Escalate one or more low-level concerns about one person into an allegation; each "
        "refers to the other. Answers with the allegation's id.",
    )
    declare_social_media_relationship = command_mutation(
        App.declare_social_media_relationship,
        DeclareSocialMediaRelationshipInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Declare a pre-existing relationship with pupils or their families on personal social "
        "media (the member of staff, or the headteacher or a DSL for them).",
    )
    update_social_media_declaration = command_mutation(
        App.update_social_media_declaration,
        UpdateSocialMediaDeclarationInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record changed circumstances of a declaration, or that the relationship ended.",
    )
    record_declaration_advice = command_mutation(
        App.record_declaration_advice,
        RecordDeclarationAdviceInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record the advice given and the decision made on a declaration.",
    )
    report_contact_attempt = command_mutation(
        App.report_contact_attempt,
        ReportContactAttemptInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Report a pupil or parent trying to contact a member of staff's personal account.",
    )
    record_online_presence_check = command_mutation(
        App.record_online_presence_check,
        RecordOnlinePresenceCheckInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record an online presence check of a member of staff, governor or volunteer.",
    )
    configure_staff_cases = command_mutation(
        App.configure_staff_cases,
        ConfigureStaffCasesInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Set who handles cases about a headteacher, the LADO working-day interval and the "
        "low-level concern threshold (trust safeguarding lead).",
    )
    record_staff_pension_age = command_mutation(
        App.record_pension_age,
        RecordStaffPensionAgeInput,
        StaffCaseResult,
        StaffCaseChanged,
        "Record when a member of staff reaches normal pension age (allegation retention).",
    )
