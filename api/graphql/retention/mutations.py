"""The retention mutations: each runs one command (``domain/retention/commands.py``) from its
input and answers what it recorded, or a typed error."""

from __future__ import annotations

import datetime

import strawberry

from api.graphql.common import Position, command_mutation, parse_id, result_union
from api.graphql.enums import Decision, HoldAuthority, HoldScope, RecordType, Rule
from domain.application import CaseworkApplication as App
from domain.retention import commands


@strawberry.type(description="What was recorded, and where in the event store.")
class RetentionChanged:
    id: strawberry.ID = strawberry.field(description="The trust, the review, or the legal hold.")
    position: Position


RetentionResult = result_union("RetentionResult", RetentionChanged)


@strawberry.input
class ConfigureRetentionInput:
    trust_id: strawberry.ID
    rule: Rule = strawberry.field(description="Any rule but ALLEGATION_REMOVED (fixed by law).")
    value: int = strawberry.field(description="The rule's number (retentionConfiguration).")
    reason: str

    def to_command(self) -> commands.ConfigureRetention:
        return commands.ConfigureRetention(
            parse_id("trustId", self.trust_id), self.rule.value, self.value, self.reason
        )


@strawberry.input
class RecordRetentionReviewInput:
    record_type: RecordType
    record_id: strawberry.ID
    decision: Decision
    reason: str
    keep_until: datetime.date | None = strawberry.field(
        default=None, description="Required to KEEP: a day after today."
    )

    def to_command(self) -> commands.RecordRetentionReview:
        return commands.RecordRetentionReview(
            record_type=self.record_type.value,
            record_id=parse_id("recordId", self.record_id),
            decision=self.decision.value,
            reason=self.reason,
            keep_until=self.keep_until,
        )


@strawberry.input
class PlaceLegalHoldInput:
    scope: HoldScope
    target_id: strawberry.ID = strawberry.field(
        description="The record, the person (pupil or member of staff), or the school."
    )
    authority: HoldAuthority
    reason: str

    def to_command(self) -> commands.PlaceLegalHold:
        return commands.PlaceLegalHold(
            scope=self.scope.value,
            target_id=parse_id("targetId", self.target_id),
            authority=self.authority.value,
            reason=self.reason,
        )


@strawberry.input
class LiftLegalHoldInput:
    hold_id: strawberry.ID
    reason: str

    def to_command(self) -> commands.LiftLegalHold:
        return commands.LiftLegalHold(parse_id("holdId", self.hold_id), self.reason)


@strawberry.type
class RetentionMutation:
    configure_retention = command_mutation(
        App.configure_retention,
        ConfigureRetentionInput,
        RetentionResult,
        RetentionChanged,
        "Set one retention rule's number for the trust, within what the law allows, with a "
        "reason (the trust's DPO). Each change is an event.",
    )
    record_retention_review = command_mutation(
        App.record_retention_review,
        RecordRetentionReviewInput,
        RetentionResult,
        RetentionChanged,
        "Record a review of a record: DESTROY (it counts once the record is due), or KEEP "
        "until a later day, with a reason sealed with the record's own key (DPO).",
    )
    place_legal_hold = command_mutation(
        App.place_legal_hold,
        PlaceLegalHoldInput,
        RetentionResult,
        RetentionChanged,
        "Place a legal hold on a record, a person or a school, with the authority and a reason "
        "(DPO, a school's DPO in their school; trust safeguarding lead). Nothing it covers is "
        "erased while it is placed.",
    )
    lift_legal_hold = command_mutation(
        App.lift_legal_hold,
        LiftLegalHoldInput,
        RetentionResult,
        RetentionChanged,
        "Lift a legal hold, with a reason (DPO, trust safeguarding lead).",
    )
