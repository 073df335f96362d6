"""Retention commands (docs/rules.md §9): a trust's configuration, review decisions and legal
holds. Each authorises first (a record the caller may not reach answers as an unknown one),
then validates, then records; a refusal appends nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.directory.aggregates import Pupil, School, StaffMember, Trust
from domain.incidents.aggregates import Incident
from domain.retention.aggregates import LegalHold, RetentionConfiguration, RetentionReview
from domain.retention.commands import (
    ConfigureRetention,
    LiftLegalHold,
    PlaceLegalHold,
    RecordRetentionReview,
)
from domain.retention.rules import (
    Decision,
    HoldAuthority,
    HoldScope,
    RecordType,
    configuration_id,
    configured_value,
    keep_until,
    review_id,
)
from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.base_app import CaseworkBase, refusal_of
from domain.shared.errors import Concealed, NotAuthorised, NotFound, ValidationFailed
from domain.shared.policy import Action, Target, authorise
from domain.shared.validation import MAX_TEXT, choice, required_text, today_utc
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern

# The records a review or a record hold names, by the schedule's record types.
REVIEWED_KINDS: dict[str, tuple[type[CaseworkAggregate], str]] = {
    RecordType.PUPIL: (Pupil, "Pupil"),
    RecordType.INCIDENT: (Incident, "Incident"),
    RecordType.ALLEGATION: (Allegation, "Allegation"),
    RecordType.LOW_LEVEL_CONCERN: (LowLevelConcern, "Low-level concern"),
}
_PEOPLE: tuple[type[CaseworkAggregate], ...] = (Pupil, StaffMember)
_RECORDS = tuple(cls for cls, _ in REVIEWED_KINDS.values())


class RetentionHandlers(CaseworkBase):
    def _reached(self, aggregate: CaseworkAggregate, kind: str, action: Action) -> None:
        """Authorise ``action`` on ``aggregate``; a refusal answers as an unknown id, and names
        a restricted record for the access log."""
        try:
            authorise(current_principal(), action, self.target_of(aggregate))
        except NotAuthorised:
            error = Concealed(kind, aggregate.id)
            error.refusal = refusal_of(aggregate)
            raise error from None

    def _load(
        self, record_id: UUID, kinds: tuple[type[CaseworkAggregate], ...], kind: str
    ) -> CaseworkAggregate:
        aggregate = self.get(CaseworkAggregate, record_id, kind)
        if not isinstance(aggregate, kinds):
            raise NotFound(kind, record_id)
        return aggregate

    # --- configuration -------------------------------------------------------------------------

    def configure_retention(self, command: ConfigureRetention) -> tuple[UUID, int]:
        """The DPO of the whole trust sets one rule's number, within what the law allows."""
        trust = self.get(Trust, command.trust_id, "Trust", read_only=True)
        try:
            authorise(current_principal(), Action.MANAGE_RETENTION, Target(trust.id))
        except NotAuthorised:
            raise Concealed("Trust", trust.id) from None
        value = configured_value(command.rule, command.value)
        reason = required_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        config_id = configuration_id(trust.id)
        try:
            config = self.get(RetentionConfiguration, config_id, "Retention configuration")
        except NotFound:
            config = RetentionConfiguration(id=seal.new_subject(config_id), trust_id=trust.id)
        config.configure(command.rule, value, seal.seal(config.id, reason))
        return trust.id, self.record(config, new_keys=seal.new_keys)

    # --- review decisions ----------------------------------------------------------------------

    def record_retention_review(self, command: RecordRetentionReview) -> tuple[UUID, int]:
        """The DPO's decision on a record: destroy it, or keep it until a later date, with a
        reason sealed with the record's own key (it goes when the record is erased)."""
        if command.record_type not in REVIEWED_KINDS:
            raise ValidationFailed("recordType", f"must be one of {', '.join(REVIEWED_KINDS)}")
        cls, kind = REVIEWED_KINDS[command.record_type]
        record = self._load(command.record_id, (cls,), kind)
        self._reached(record, kind, Action.MANAGE_RETENTION)
        decision = choice("decision", command.decision, Decision)
        until = None
        if decision == Decision.KEEP:
            until = keep_until(command.keep_until, today_utc())
        elif command.keep_until is not None:
            raise ValidationFailed("keepUntil", "is given only to keep a record")
        reason = required_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        sealed = seal.seal(record.id, reason)
        try:
            review = self.get(RetentionReview, review_id(record.id), "Retention review")
        except NotFound:
            review = RetentionReview(
                id=review_id(record.id),
                reviewed_type=command.record_type,
                record_id=record.id,
                trust_id=record.trust_id,
                school_id=record.school_id,
            )
        review.decide(decision, until, sealed)
        return review.id, self.record(review)

    # --- legal holds ---------------------------------------------------------------------------

    def place_legal_hold(self, command: PlaceLegalHold) -> tuple[UUID, int]:
        """A hold on a record, a person (their file, incidents involving a pupil; allegations
        and concerns about a member of staff) or a whole school, by the DPO (a school's DPO:
        only in their school) or the trust safeguarding lead."""
        scope = choice("scope", command.scope, HoldScope)
        if scope == HoldScope.SCHOOL:
            target: CaseworkAggregate = self._load(command.target_id, (School,), "School")
        elif scope == HoldScope.PERSON:
            target = self._load(command.target_id, _PEOPLE, "Person")
        else:
            target = self._load(command.target_id, _RECORDS, "Record")
        kind = "School" if scope == HoldScope.SCHOOL else "Record"
        self._reached(target, kind, Action.PLACE_LEGAL_HOLD)
        authority = choice("authority", command.authority, HoldAuthority)
        reason = required_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        hold_id = seal.new_subject(uuid4())
        hold = LegalHold(
            id=hold_id,
            scope=scope,
            target_id=target.id,
            authority=authority,
            reason=seal.seal(hold_id, reason),
            about=sorted(target.subject_ids),
            trust_id=target.trust_id,
            school_id=target.school_id,
        )
        return hold.id, self.record(hold, new_keys=seal.new_keys)

    def lift_legal_hold(self, command: LiftLegalHold) -> tuple[UUID, int]:
        hold = self.open(LegalHold, command.hold_id, "Legal hold", Action.PLACE_LEGAL_HOLD)
        reason = required_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        hold.lift(seal.seal(hold.id, reason))
        return hold.id, self.record(hold)
