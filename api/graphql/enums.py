"""The domain's enumerations exposed as GraphQL enums, registered once, before any type uses
them."""

import strawberry

from api.access_log import AccessOutcome
from domain.consent.model import (
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    ConsentStatus,
    Medium,
    PublicationStatus,
    RiskAssessmentApprover,
    TakedownOutcome,
)
from domain.directory.aggregates import StaffRole
from domain.incidents.model import ActionKind, Device, Part, Risk, Source, Status
from domain.retention.rules import BlockerKind, Decision, HoldAuthority, HoldScope, RecordType, Rule
from domain.shared.policy import Role
from domain.staff_cases.model import (
    AllegationActionKind,
    AllegationCategory,
    AllegationSource,
    AllegationStatus,
    CaseManagerBasis,
    ChildRelationship,
    ConcernStatus,
    ContactFrom,
    Outcome,
    PresenceCheckOutcome,
    ReceivedVia,
    SuspensionDecision,
    YesNoNotKnown,
)
from domain.webhooks.rules import AttemptOutcome, DeliveryStatus, EventKind

for enum_type, description in (
    (Role, "A role held in a school, or across a trust."),
    (StaffRole, "The kind of adult working in or for the school (KCSIE Part four scope)."),
    (Risk, "The DSL's risk assessment."),
    (Status, "reported → triaged → closed (→ reopened)."),
    (Part, "A person's part in an incident."),
    (Source, "How the concern reached the reporter."),
    (Device, "Whose device was used."),
    (ActionKind, "What was done, or decided, about an incident."),
    (AllegationSource, "From whom an allegation came."),
    (ReceivedVia, "How an allegation reached the school."),
    (AllegationCategory, "The category LADO referral forms ask for."),
    (AllegationStatus, "open → closed (closing needs an outcome)."),
    (
        ChildRelationship,
        "How an allegation concerns a child: the child it concerns, a witness, or other.",
    ),
    (YesNoNotKnown, "An answer a LADO referral form asks for that may not be known yet."),
    (CaseManagerBasis, "Why this person manages the case."),
    (
        Outcome,
        "KCSIE's five outcomes: substantiated (sufficient evidence to prove); malicious "
        "(sufficient evidence to disprove, and a deliberate act to deceive); false (sufficient "
        "evidence to disprove); unsubstantiated (insufficient evidence either way); unfounded "
        "(no evidence or proper basis).",
    ),
    (SuspensionDecision, "Suspension is never automatic: the result of considering it."),
    (AllegationActionKind, "A step in an allegation case, with who, when, decision and why."),
    (ConcernStatus, "raised → reviewed → closed, or escalated to an allegation."),
    (ContactFrom, "Who tried to contact a member of staff's personal account."),
    (PresenceCheckOutcome, "The outcome of an online presence check."),
    (Medium, "A kind of image of a pupil."),
    (ConsentChannel, "Where an image of a pupil may be used."),
    (
        ConsentStatus,
        "The answer for one pupil, medium and channel at an instant. Only GRANTED permits use; "
        "REFUSED and WITHDRAWN name the decision; LAPSED: the pupil has left the school.",
    ),
    (ConsenterKind, "Who decided: the pupil (assessed competent) or a parent or carer."),
    (ConsentMethod, "How a written consent, amendment or withdrawal arrived."),
    (RiskAssessmentApprover, "Who approved a channel's risk assessment."),
    (PublicationStatus, "A publication's state in the log."),
    (TakedownOutcome, "How a takedown was closed."),
    (AccessOutcome, "Whether an attempt on a restricted record was a read or was refused."),
):
    strawberry.enum(enum_type, description=description)

for named_enum, name, description in (
    (RecordType, "RetentionRecordType", "What the retention schedule keeps."),
    (Rule, "RetentionRule", "The retention rule that keeps a record (docs/rules.md §9)."),
    (Decision, "RetentionDecision", "A review's decision: destroy, or keep until a date."),
    (HoldScope, "LegalHoldScope", "What a legal hold covers: a record, a person or a school."),
    (HoldAuthority, "LegalHoldAuthority", "On whose direction or request a hold is placed."),
    (BlockerKind, "RetentionBlockerKind", "Why a record may not be erased on a day."),
    (
        EventKind,
        "WebhookEventKind",
        "A thin kind of change a webhook delivers (docs/rules.md §14).",
    ),
    (DeliveryStatus, "WebhookDeliveryStatus", "Where a webhook delivery stands."),
    (AttemptOutcome, "WebhookAttemptOutcome", "How one attempt at a delivery went."),
):
    strawberry.enum(named_enum, name=name, description=description)

__all__ = [
    "ActionKind",
    "AllegationActionKind",
    "AllegationCategory",
    "AllegationSource",
    "AllegationStatus",
    "AttemptOutcome",
    "BlockerKind",
    "CaseManagerBasis",
    "ChildRelationship",
    "ConcernStatus",
    "ConsentChannel",
    "ConsentMethod",
    "ConsentStatus",
    "ConsenterKind",
    "ContactFrom",
    "Decision",
    "DeliveryStatus",
    "Device",
    "EventKind",
    "HoldAuthority",
    "HoldScope",
    "Medium",
    "Outcome",
    "Part",
    "PresenceCheckOutcome",
    "PublicationStatus",
    "ReceivedVia",
    "RecordType",
    "Risk",
    "RiskAssessmentApprover",
    "Role",
    "Rule",
    "Source",
    "StaffRole",
    "Status",
    "SuspensionDecision",
    "TakedownOutcome",
    "YesNoNotKnown",
]
