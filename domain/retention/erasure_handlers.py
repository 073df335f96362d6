"""Erasure: asked for by a DPO, carried out by a second approver (docs/rules.md §9.6).

A request appends ``Erasure.Requested`` listing the records and the keys their erasure destroys,
once every record is erasable. The approval checks the records again as scheduled now (a hold
placed in between stops it), destroys exactly those keys, then appends ``Erasure.CarriedOut``
with the exports already sent, which it cannot recall. A key is destroyed before the event is
appended: an approval interrupted in between has forgotten more, never less, and asking again
finishes it (destroying a destroyed key does nothing).
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from domain.retention.erasure import Erasure
from domain.retention.erasure_commands import (
    ApproveErasure,
    CancelErasure,
    PlanErasure,
    RequestErasure,
)
from domain.retention.erasure_rules import (
    ALLEGATION,
    Candidate,
    ErasureSettled,
    SecondApproverRequired,
    checked_record_ids,
    keys_to_destroy,
    may_approve,
    refuse_blocked,
)
from domain.shared.actor import current_principal
from domain.shared.base_app import CaseworkBase
from domain.shared.errors import Concealed, NotAuthorised, ValidationFailed
from domain.shared.policy import Action, Target, authorise
from domain.shared.sealing import Erased
from domain.shared.validation import MAX_TEXT, required_text
from domain.staff_cases.allegations import Allegation


@dataclass(frozen=True)
class SentExport:
    """A LADO export of an allegation being erased: sent, and not recallable."""

    allegation_id: UUID
    export_id: UUID
    exported_at: datetime
    fingerprint: str
    recipient: str | None  # None if already erased


@dataclass(frozen=True)
class ErasurePlan:
    """A dry run: the records as scheduled now (each with what blocks it), the keys their
    erasure would destroy, and the exports already sent."""

    records: tuple[Candidate, ...]
    keys: tuple[UUID, ...]
    exports: tuple[SentExport, ...]

    @property
    def erasable(self) -> bool:
        return all(not c.blockers for c in self.records)


@dataclass(frozen=True)
class Planned:
    """What an erasure request recorded."""

    erasure_id: UUID
    position: int


class ErasureHandlers(CaseworkBase):
    def _erasure_target(self, trust_id: UUID, candidates: Sequence[Candidate]) -> Target:
        schools = {c.school_id for c in candidates}
        school = schools.pop() if len(schools) == 1 else None
        about = frozenset().union(*(c.about for c in candidates))
        return Target(trust_id, school, about)

    def request_erasure(self, command: RequestErasure) -> Planned:
        checked_record_ids([c.record_id for c in command.candidates])
        target = self._erasure_target(command.trust_id, command.candidates)
        authorise(current_principal(), Action.ERASE_RECORDS, target)
        reason = required_text("reason", command.reason, MAX_TEXT)
        refuse_blocked(command.candidates)
        erasure_id = uuid4()
        seal = self.keyring.session()
        seal.new_subject(erasure_id)
        erasure = Erasure(
            id=erasure_id,
            trust_id=command.trust_id,
            school_id=target.school_id,
            records=[c.as_requested() for c in command.candidates],
            subject_ids=keys_to_destroy(command.candidates),
            reason=seal.seal(erasure_id, reason),
            actor=current_principal().user_id,
        )
        return Planned(erasure_id, self.record(erasure, new_keys=seal.new_keys))

    def pending_erasure(self, erasure_id: UUID) -> Erasure:
        """The erasure, to a DPO or trust role of its trust; anyone else is answered as for an
        unknown erasure."""
        erasure = self.get(Erasure, erasure_id, "Erasure")
        target = Target(erasure.trust_id, erasure.school_id, erasure.about)
        principal = current_principal()
        if not may_approve(principal, target):
            raise Concealed("Erasure", erasure_id)
        if erasure.carried_out:
            raise ErasureSettled("carried out")
        if erasure.cancelled:
            raise ErasureSettled("cancelled")
        return erasure

    def approve_erasure(self, command: ApproveErasure) -> int:
        erasure = self.pending_erasure(command.erasure_id)
        principal = current_principal()
        if principal.user_id == erasure.requested_by:
            raise SecondApproverRequired()
        by_id = {c.record_id: c for c in command.candidates}
        missing = [r for r in erasure.record_ids if r not in by_id]
        if missing:
            raise ValidationFailed("erasureId", f"{missing[0]} is no longer in the schedule")
        candidates = [by_id[r] for r in erasure.record_ids]
        target = self._erasure_target(erasure.trust_id, candidates)
        if not may_approve(principal, target):
            raise NotAuthorised("an erasure is approved by a DPO or a trust-wide role")
        refuse_blocked(candidates)
        keys = keys_to_destroy(candidates)
        if set(keys) != set(erasure.key_ids):
            raise ValidationFailed(
                "erasureId", "the records' keys changed since the request: ask again"
            )
        exports = self._sent_exports(erasure.id, candidates)
        for subject_id in keys:
            self.keyring.destroy(subject_id)
        erasure._carried_out(
            subject_ids=keys,
            record_ids=erasure.record_ids,
            blind_indexes=sorted({ix.hex() for c in candidates for ix in c.blind_indexes}),
            exports=exports,
            actor=principal.user_id,
        )
        return self.record(erasure)

    def plan_erasure(self, command: PlanErasure) -> ErasurePlan:
        """What asking for ``candidates`` to be erased would destroy, and what blocks it:
        checked and authorised as a request is, and nothing recorded."""
        checked_record_ids([c.record_id for c in command.candidates])
        target = self._erasure_target(command.trust_id, command.candidates)
        authorise(current_principal(), Action.ERASE_RECORDS, target)
        return ErasurePlan(
            tuple(command.candidates),
            tuple(keys_to_destroy(command.candidates)),
            tuple(self._exports_of(command.candidates)),
        )

    def _exports_of(self, candidates: Sequence[Candidate]) -> Iterator[SentExport]:
        """Every LADO export of the allegations among ``candidates``, from their events."""
        for candidate in candidates:
            if candidate.record_type != ALLEGATION:
                continue
            for stored in self.repository.event_store.get(candidate.record_id):
                if isinstance(stored, Allegation.ReferralExported):
                    recipient = self.keyring.open(stored.recipient)
                    yield SentExport(
                        candidate.record_id,
                        stored.export_id,
                        stored.timestamp,
                        stored.fingerprint,
                        None if isinstance(recipient, Erased) else recipient,
                    )

    def _sent_exports(
        self, erasure_id: UUID, candidates: Sequence[Candidate]
    ) -> list[dict[str, object]]:
        """The exports as the erasure records them, each recipient sealed again with the
        erasure's own key (the allegation's goes with the erasure)."""
        seal = self.keyring.session()
        return [
            {
                "allegation_id": str(sent.allegation_id),
                "export_id": str(sent.export_id),
                "exported_at": sent.exported_at.isoformat(),
                "fingerprint": sent.fingerprint,
                "recipient": None
                if sent.recipient is None
                else b64encode(seal.seal(erasure_id, sent.recipient).to_bytes()).decode("ascii"),
            }
            for sent in self._exports_of(candidates)
        ]

    def cancel_erasure(self, command: CancelErasure) -> int:
        erasure = self.pending_erasure(command.erasure_id)
        reason = required_text("reason", command.reason, MAX_TEXT)
        seal = self.keyring.session()
        erasure._cancelled(reason=seal.seal(erasure.id, reason), actor=current_principal().user_id)
        return self.record(erasure)
