"""Who may have the proof of a record: whoever may read that record, decided as its read is.

A proof hands over the entry (ids, the event's topic, times, salted digests) and its place in
the log. It shows that a record exists and when it changed, so it is authorised exactly as a
read of the record: the same action of the policy on the same tenancy and subjects, and for a
staff case the same named readers. Nobody reaches a record of which they are the subject, and a
record nobody here decides on (an aggregate this module does not know) is proved to no one but
through ``casework ledger proof``. The mapping, record by record, is the decision:

- incident: VIEW_INCIDENT (about a member of staff's conduct: HANDLE_STAFF_CONDUCT_INCIDENT);
- allegation: its case manager and case team, or OVERSEE_ALLEGATIONS; never its subject;
- low-level concern: its recipient, or HANDLE_LOW_LEVEL_CONCERN; never its subject;
- social-media declaration, contact attempt, presence check: HANDLE_SOCIAL_MEDIA on the
  member of staff (the staff record's social-media history is read so);
- pupil, and a parent or carer (read through their pupil): VIEW_PUPIL; staff member: VIEW_STAFF;
- consent record: VIEW_CONSENT on the pupil; channel, publication: VIEW_CONSENT in the school;
- school: VIEW_SCHOOL in it; trust: VIEW_SCHOOL across the trust (a trust-wide role);
- a user's record of grants: VIEW_ROLES where it was enrolled, never the user's own records.

The ledger's status names no school and no person, but describes every school's log at once:
operators, and trust-wide holders of VIEW_LEDGER_STATUS (trust safeguarding lead, DPO).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.access.aggregates import UserAccess
from domain.consent.aggregates import Channel, ConsentRecord, Publication
from domain.directory.aggregates import ParentCarer, Pupil, School, StaffMember, Trust
from domain.incidents.aggregates import Incident
from domain.incidents.rules import incident_action
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import NotAuthorised
from domain.shared.policy import Action, Principal, Target, authorise, authorise_case, permits
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.social_media import ContactAttempt, PresenceCheck, SocialMediaDeclaration


@dataclass(frozen=True)
class ReadRule:
    """How a read of one record is authorised, and how it is named in the access log
    (``record_type`` None: the record is not restricted, its reads are not logged)."""

    action: Action
    target: Target
    record_type: str | None
    record_id: UUID
    named: frozenset[str] | None = None  # a staff case's named readers, by login
    subject_user_id: str | None = None  # a staff case's subject, by login

    def authorise(self, principal: Principal) -> None:
        if self.named is None:
            authorise(principal, self.action, self.target)
        else:
            authorise_case(principal, self.action, self.target, self.named, self.subject_user_id)


def _place(record: CaseworkAggregate, *subjects: UUID) -> Target:
    return Target(record.trust_id, record.school_id, frozenset(subjects))


def read_rule(record: CaseworkAggregate) -> ReadRule | None:
    """The rule a read of ``record`` is authorised by; None for a kind of record no reader is
    decided for (its proof is refused to every caller, as an unknown one would be)."""
    rid, kind = record.id, record.record_type
    whole = _place(record, *record.subject_ids)
    if isinstance(record, Incident):
        action = incident_action(record.concerns_staff_conduct, managing=False)
        return ReadRule(action, whole, kind, rid)
    if isinstance(record, Allegation):
        action, named, subject = Action.OVERSEE_ALLEGATIONS, record.members, record.subject_user_id
        return ReadRule(action, whole, kind, rid, frozenset(named), subject)
    if isinstance(record, LowLevelConcern):
        named = frozenset({record.recipient})
        action = Action.HANDLE_LOW_LEVEL_CONCERN
        return ReadRule(action, whole, kind, rid, named, record.subject_user_id)
    if isinstance(record, SocialMediaDeclaration | ContactAttempt | PresenceCheck):
        staff = _place(record, record.staff_id)
        if kind is None:  # logged as the staff record's social-media history is
            return ReadRule(
                Action.HANDLE_SOCIAL_MEDIA, staff, "staff_social_media", record.staff_id
            )
        return ReadRule(Action.HANDLE_SOCIAL_MEDIA, staff, kind, rid)
    if isinstance(record, Pupil | ParentCarer):
        return ReadRule(Action.VIEW_PUPIL, whole, kind, rid)
    if isinstance(record, StaffMember):
        return ReadRule(Action.VIEW_STAFF, whole, kind, rid)
    if isinstance(record, ConsentRecord):
        return ReadRule(Action.VIEW_CONSENT, _place(record, record.pupil_id), kind, rid)
    if isinstance(record, Channel | Publication):
        return ReadRule(Action.VIEW_CONSENT, _place(record), None, rid)
    if isinstance(record, School):
        return ReadRule(Action.VIEW_SCHOOL, _place(record), None, rid)
    if isinstance(record, Trust):
        return ReadRule(Action.VIEW_SCHOOL, Target(record.trust_id), None, rid)
    if isinstance(record, UserAccess):
        return ReadRule(Action.VIEW_ROLES, _place(record, *record.subject_of), None, rid)
    return None


def authorise_status(principal: Principal) -> None:
    """The ledger's status: operators, and VIEW_LEDGER_STATUS roles held trust-wide."""
    trusts = {g.trust_id for g in principal.grants if g.school_id is None}
    if principal.is_operator or any(
        permits(principal, Action.VIEW_LEDGER_STATUS, Target(t)) for t in trusts
    ):
        return
    raise NotAuthorised("You are not authorised to view the ledger's status")
