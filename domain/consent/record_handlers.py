"""Consent records: competence assessments, consent forms, amendments, withdrawals and the
yearly confirmation (issue 5).

Who may decide (seed 001 §7.2): the pupil, when their latest competence assessment made at or
before receipt says they can; otherwise, and always for a refusal or withdrawal as much as for a
grant, a person linked to the pupil with parental responsibility. How their decisions combine
is ``domain.consent.model``'s rule (refusal wins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from uuid import UUID

from domain.consent.aggregates import ConsentRecord, Publication, consent_record_id
from domain.consent.commands import (
    AmendConsent,
    Choice,
    ConfirmConsentForYear,
    ConsentForm,
    GiveConsent,
    RecordCompetenceAssessment,
    WithdrawConsent,
)
from domain.consent.errors import (
    CompetenceNotAssessed,
    ConsentNotGiven,
    NoConsentRecord,
    NoParentalResponsibility,
    PupilLeft,
    PupilNotCompetent,
)
from domain.consent.model import (
    ConsentChannel,
    ConsenterKind,
    ConsentMethod,
    Decision,
    Lapse,
    Medium,
)
from domain.directory.aggregates import ParentCarer, Pupil
from domain.directory.opening import open_pupil
from domain.shared import clock
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import academic_year_of, end_of_london_day, london_today
from domain.shared.errors import ValidationFailed
from domain.shared.policy import Action
from domain.shared.sealing import Sealed
from domain.shared.validation import (
    MAX_TEXT,
    choice,
    optional_text,
    past_instant,
    required_text,
)

Choices = list[dict[str, str]]  # medium, channel, decision: as a decision event holds them


def lapse_of(pupil: Pupil) -> Lapse | None:
    """Consent lapses at the end of the London day the pupil left."""
    if pupil.left_on is None:
        return None
    return Lapse(pupil.left_on, end_of_london_day(pupil.left_on), pupil.id)


def _combinations(
    field: str, media: Sequence[str], channels: Sequence[str]
) -> list[tuple[str, str]]:
    if not media:
        raise ValidationFailed(f"{field}.media", "name at least one medium")
    if not channels:
        raise ValidationFailed(f"{field}.channels", "name at least one channel")
    for m in media:
        choice(f"{field}.media", m, Medium)
    for c in channels:
        choice(f"{field}.channels", c, ConsentChannel)
    return [(m, c) for m in dict.fromkeys(media) for c in dict.fromkeys(channels)]


def _has_decisions(record: ConsentRecord, _at: datetime) -> None:
    if not record.has_decisions:
        raise NoConsentRecord("pupilId", "no consent has been recorded for this pupil yet")


def _choices(choices: Sequence[Choice]) -> Choices:
    if not choices:
        raise ValidationFailed("choices", "give at least one decision")
    decided: dict[tuple[str, str], bool] = {}
    for i, c in enumerate(choices):
        for combination in _combinations(f"choices[{i}]", c.media, c.channels):
            if decided.get(combination, c.granted) != c.granted:
                raise ValidationFailed(
                    f"choices[{i}]",
                    f"{combination[0]} on {combination[1]} is both granted and refused",
                )
            decided[combination] = c.granted
    return [
        {
            "medium": m,
            "channel": ch,
            "decision": Decision.GRANTED if granted else Decision.REFUSED,
        }
        for (m, ch), granted in decided.items()
    ]


class ConsentRecordHandlers(CaseworkBase):
    # --- look-ups -------------------------------------------------------------------------

    def _consent_pupil(self, pupil_id: UUID, action: Action = Action.RECORD_CONSENT) -> Pupil:
        return open_pupil(self, pupil_id, action)

    def consent_record(self, pupil: Pupil) -> ConsentRecord:
        """The pupil's record, or a new one (saved with the first event recorded on it)."""
        record_id = consent_record_id(pupil.id)
        if record_id in self.repository:
            return self.get(ConsentRecord, record_id, "Consent record")
        return ConsentRecord.open(pupil.id, pupil.trust_id, pupil.school_id)  # type: ignore[arg-type]

    @staticmethod
    def _on_roll(pupil: Pupil, at: datetime, field: str) -> None:
        lapse = lapse_of(pupil)
        if lapse is not None and at >= lapse.effective_at:
            raise PupilLeft(
                field, f"the pupil left on {lapse.left_on}, so their consent record has lapsed"
            )

    def _consenter(
        self,
        pupil: Pupil,
        record: ConsentRecord,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        received_at: datetime,
    ) -> UUID | None:
        """Check the person deciding may decide for this pupil; return the parent's id."""
        choice("consenterKind", consenter_kind, ConsenterKind)
        if consenter_kind == ConsenterKind.PUPIL:
            if parent_carer_id is not None:
                raise ValidationFailed("parentCarerId", "leave it out when the pupil decides")
            competent = record.competent_at(received_at)
            if competent is None:
                raise CompetenceNotAssessed(
                    "consenterKind",
                    "a pupil decides for themselves only after a recorded competence assessment "
                    "says they can: record one first, or take the decision from a parent or carer",
                )
            if not competent:
                raise PupilNotCompetent(
                    "consenterKind",
                    "the pupil's latest competence assessment says they cannot consent yet: take "
                    "the decision from a person with parental responsibility",
                )
            return None
        if parent_carer_id is None:
            raise ValidationFailed("parentCarerId", "is required when a parent or carer decides")
        parent = self.get(ParentCarer, parent_carer_id, "Parent or carer", read_only=True)
        if parent.trust_id != pupil.trust_id or not parent.has_parental_responsibility_for(
            pupil.id
        ):
            raise NoParentalResponsibility(
                "parentCarerId",
                "this person has no parental responsibility for the pupil on record, so cannot "
                "decide about their images",
            )
        return parent.id

    # --- competence and consent -----------------------------------------------------------

    def record_competence_assessment(self, command: RecordCompetenceAssessment) -> tuple[UUID, int]:
        pupil = self._consent_pupil(command.pupil_id)
        at = past_instant("assessedAt", command.assessed_at)
        self._on_roll(pupil, at, "assessedAt")
        text = optional_text("notes", command.notes, MAX_TEXT)
        record = self.consent_record(pupil)
        seal = self.keyring.session()
        sealed = seal.seal(pupil.id, text) if text else None
        record.assess_competence(at, command.competent, sealed)
        return record.id, self.record(record, new_keys=seal.new_keys)

    def _decision(
        self,
        pupil_id: UUID,
        consenter_kind: str,
        parent_carer_id: UUID | None,
        choices: Choices,
        method: str,
        reference: str,
        received_at: datetime,
        check: Callable[[ConsentRecord, datetime], None] | None,
        decide: Callable[[ConsentRecord, UUID | None, Sealed, Callable[[str], Sealed]], None],
    ) -> tuple[UUID, int]:
        """Record a decision; ``check`` vets it against the record as it stands at receipt;
        ``decide(record, parent_id, sealed_reference, seal)`` records it on the record. How it
        was given names the family's paperwork, so it is sealed with the pupil's key."""
        pupil = self._consent_pupil(pupil_id)
        at = past_instant("receivedAt", received_at)
        self._on_roll(pupil, at, "receivedAt")
        choice("method", method, ConsentMethod)
        ref = required_text("reference", reference)
        record = self.consent_record(pupil)
        if check is not None:
            check(record, at)
        parent = self._consenter(pupil, record, consenter_kind, parent_carer_id, at)
        seal = self.keyring.session()

        def sealed(text: str) -> Sealed:
            return seal.seal(pupil.id, text)

        decide(record, parent, sealed(ref), sealed)
        publications = self._takedowns(record, pupil, choices)
        return record.id, self.record(record, *publications, new_keys=seal.new_keys)

    def _takedowns(
        self, record: ConsentRecord, pupil: Pupil, choices: Choices
    ) -> list[Publication]:
        """Publications of the pupil in a scope this decision narrowed, and against which an
        objection stands now: into the takedown queue."""
        narrowed = {
            (c["medium"], c["channel"]) for c in choices if c["decision"] != Decision.GRANTED
        }
        if not narrowed:
            return []
        changed = []
        now = clock.now()
        for featured, objection in record.publications_to_take_down(now, lapse_of(pupil)):
            if not any((m, featured.channel) in narrowed for m in featured.media):
                continue
            publication = self.get(Publication, featured.publication_id, "Publication")
            publication.request_takedown(pupil.id, objection.effective_at, record.version)
            changed.append(publication)
        return changed

    def _form(
        self,
        form: ConsentForm,
        check: Callable[[ConsentRecord, datetime], None] | None,
        amends: bool,
    ) -> tuple[UUID, int]:
        choices = _choices(form.choices)
        at = form.received_at
        statement = required_text("statementVersion", form.statement_version, 50)

        def decide(
            record: ConsentRecord,
            parent: UUID | None,
            reference: Sealed,
            seal: Callable[[str], Sealed],
        ) -> None:
            record_form = record.amend if amends else record.give
            kind, method = form.consenter_kind, form.method
            record_form(kind, parent, choices, method, reference, seal(statement), at)

        return self._decision(
            form.pupil_id,
            form.consenter_kind,
            form.parent_carer_id,
            choices,
            form.method,
            form.reference,
            form.received_at,
            check,
            decide,
        )

    def give_consent(self, command: GiveConsent) -> tuple[UUID, int]:
        """A consent form: decisions for any combination of media and channels, from receipt."""
        return self._form(command, None, amends=False)

    def amend_consent(self, command: AmendConsent) -> tuple[UUID, int]:
        """A written change to some combinations, effective from receipt (needs an earlier
        form)."""
        return self._form(command, _has_decisions, amends=True)

    def withdraw_consent(self, command: WithdrawConsent) -> tuple[UUID, int]:
        """Withdraw consent for a subset, from receipt: earlier use stays lawful (Art 7(3))."""
        combinations = _combinations("scope", command.media, command.channels)

        def standing_grants(record: ConsentRecord, at: datetime) -> None:
            never = [
                f"{m} on {c}" for m, c in combinations if not record.granted_by_anyone(m, c, at)
            ]
            if never:
                raise ConsentNotGiven(
                    "scope", f"consent was never given (or not standing) for {', '.join(never)}"
                )

        choices = [
            {"medium": m, "channel": c, "decision": Decision.WITHDRAWN} for m, c in combinations
        ]

        def decide(
            record: ConsentRecord,
            parent: UUID | None,
            reference: Sealed,
            _seal: Callable[[str], Sealed],
        ) -> None:
            kind, method, at = command.consenter_kind, command.method, command.received_at
            record.withdraw(kind, parent, choices, method, reference, at)

        return self._decision(
            command.pupil_id,
            command.consenter_kind,
            command.parent_carer_id,
            choices,
            command.method,
            command.reference,
            command.received_at,
            standing_grants,
            decide,
        )

    def confirm_consent_for_year(self, command: ConfirmConsentForYear) -> tuple[UUID, int]:
        """The data lead confirms the pupil's record is up to date for an academic year."""
        academic_year = command.academic_year
        pupil = self._consent_pupil(command.pupil_id)
        self._on_roll(pupil, clock.now(), "pupilId")
        current = academic_year_of(london_today())
        start = int(current[:4])
        allowed = {current, academic_year_of(date(start + 1, 9, 1))}
        if academic_year not in allowed:
            raise ValidationFailed(
                "academicYear", f"must be the current academic year ({current}) or the next"
            )
        record = self.consent_record(pupil)
        if not record.has_decisions:
            raise NoConsentRecord(
                "pupilId", "there is no consent record to confirm: record the pupil's form first"
            )
        if academic_year in record.confirmed_years:
            raise ValidationFailed("academicYear", f"already confirmed for {academic_year}")
        record.confirm_for_year(academic_year)
        return record.id, self.record(record)
