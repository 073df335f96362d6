"""The access policy: one pure function decides every action.

Rules (docs/rules.md §1, issue 2 §5):
- a school-scoped grant reaches its school only; a trust-scoped grant reaches the trust's schools;
- nobody reaches a record whose subject they are, whatever their role;
- no grant reaches a record whose subject made that grant: the subject cannot appoint a reader;
- a staff reporter reaches nothing but their own reports (later issues), the school's name and,
  to name them in a report, its pupils' and staff's names (docs/rules.md §1.5).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from domain.shared.errors import NotAuthorised


class Role(StrEnum):
    STAFF_REPORTER = "staff_reporter"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    HEADTEACHER = "headteacher"
    TRUST_SAFEGUARDING_LEAD = "trust_safeguarding_lead"
    CHAIR_OF_GOVERNORS = "chair_of_governors"
    DATA_LEAD = "data_lead"
    DPO = "dpo"


class Scope(StrEnum):
    SCHOOL = "school"
    TRUST = "trust"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.STAFF_REPORTER: frozenset({Scope.SCHOOL}),
    Role.DSL: frozenset({Scope.SCHOOL}),
    Role.DEPUTY_DSL: frozenset({Scope.SCHOOL}),
    Role.HEADTEACHER: frozenset({Scope.SCHOOL}),
    Role.DATA_LEAD: frozenset({Scope.SCHOOL}),
    Role.TRUST_SAFEGUARDING_LEAD: frozenset({Scope.TRUST}),
    Role.CHAIR_OF_GOVERNORS: frozenset({Scope.SCHOOL, Scope.TRUST}),
    Role.DPO: frozenset({Scope.SCHOOL, Scope.TRUST}),
}


class Action(StrEnum):
    VIEW_SCHOOL = "view_school"
    REGISTER_SCHOOL = "register_school"
    VIEW_PUPIL = "view_pupil"
    MANAGE_PUPIL = "manage_pupil"
    VIEW_STAFF = "view_staff"
    MANAGE_STAFF = "manage_staff"
    GRANT_SCHOOL_ROLE = "grant_school_role"
    GRANT_TRUST_ROLE = "grant_trust_role"
    VIEW_ROLES = "view_roles"
    VIEW_ACCESS_LOG = "view_access_log"
    REPORT_INCIDENT = "report_incident"
    # Naming pupils and staff in a report (docs/rules.md §1.5): id, name and year or role only.
    PICK_PERSON = "pick_person"
    VIEW_INCIDENT = "view_incident"
    MANAGE_INCIDENT = "manage_incident"
    HANDLE_STAFF_CONDUCT_INCIDENT = "handle_staff_conduct_incident"
    VIEW_INCIDENT_OVERVIEW = "view_incident_overview"
    MANAGE_TRUST_SETTINGS = "manage_trust_settings"
    # Allegations against staff: the case team reads and records; these roles add to that.
    RECEIVE_ALLEGATION = "receive_allegation"
    OVERSEE_ALLEGATIONS = "oversee_allegations"
    VIEW_STAFF_CASE_COUNTS = "view_staff_case_counts"
    RAISE_LOW_LEVEL_CONCERN = "raise_low_level_concern"
    HANDLE_LOW_LEVEL_CONCERN = "handle_low_level_concern"
    VIEW_PERSONNEL_RECORD = "view_personnel_record"
    DECLARE_SOCIAL_MEDIA = "declare_social_media"
    HANDLE_SOCIAL_MEDIA = "handle_social_media"
    # Image and video consent, channels and publications (issue 5).
    VIEW_CONSENT = "view_consent"
    RECORD_CONSENT = "record_consent"
    MANAGE_CHANNELS = "manage_channels"
    RECORD_PUBLICATION = "record_publication"
    CHECK_POSTING = "check_posting"
    # The ledger's health (issue 17): it names no school and no person.
    VIEW_LEDGER_STATUS = "view_ledger_status"
    ERASE_RECORDS = "erase_records"
    VIEW_ERASURES = "view_erasures"
    # A trust's public signing keys (docs/rules.md §12.4): public, but told only to its staff.
    VIEW_TRUST_SIGNING_KEY = "view_trust_signing_key"
    # Retention (docs/rules.md §9): the schedule, its configuration and review decisions are
    # the DPO's; legal holds the DPO's and the trust safeguarding lead's.
    MANAGE_RETENTION = "manage_retention"
    PLACE_LEGAL_HOLD = "place_legal_hold"
    # Webhook endpoints (docs/rules.md §14): registered, changed and watched by the people who
    # oversee a school's or a trust's cases.
    MANAGE_WEBHOOKS = "manage_webhooks"


_ALL = frozenset(Role)
_DSLS = frozenset({Role.DSL, Role.DEPUTY_DSL})
_PASTORAL = frozenset({Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER, Role.DATA_LEAD})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_SCHOOL: _ALL,
    Action.REGISTER_SCHOOL: frozenset({Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS}),
    Action.VIEW_PUPIL: _PASTORAL | {Role.DPO, Role.TRUST_SAFEGUARDING_LEAD},
    Action.MANAGE_PUPIL: _PASTORAL,
    Action.VIEW_STAFF: _PASTORAL
    | {Role.DPO, Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS},
    Action.MANAGE_STAFF: frozenset({Role.HEADTEACHER, Role.DATA_LEAD}),
    Action.GRANT_SCHOOL_ROLE: frozenset({Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD}),
    Action.GRANT_TRUST_ROLE: frozenset({Role.TRUST_SAFEGUARDING_LEAD}),
    Action.VIEW_ROLES: frozenset({Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD, Role.DPO}),
    Action.VIEW_ACCESS_LOG: frozenset({Role.DPO}),
    Action.REPORT_INCIDENT: _ALL,
    # Whoever may report at a school may name its pupils and staff in the report.
    Action.PICK_PERSON: _ALL,
    Action.VIEW_INCIDENT: _DSLS,
    Action.MANAGE_INCIDENT: _DSLS,
    # An incident about a member of staff's conduct leaves the DSL views for the case manager.
    Action.HANDLE_STAFF_CONDUCT_INCIDENT: frozenset({Role.HEADTEACHER}),
    Action.VIEW_INCIDENT_OVERVIEW: frozenset(
        {Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS, Role.DPO, Role.HEADTEACHER}
    ),
    Action.MANAGE_TRUST_SETTINGS: frozenset({Role.TRUST_SAFEGUARDING_LEAD}),
    Action.RECEIVE_ALLEGATION: _DSLS
    | {Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS},
    # Beyond the case manager and case team, only the trust safeguarding lead reads a case.
    Action.OVERSEE_ALLEGATIONS: frozenset({Role.TRUST_SAFEGUARDING_LEAD}),
    Action.VIEW_STAFF_CASE_COUNTS: _DSLS
    | {Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS, Role.DPO},
    Action.RAISE_LOW_LEVEL_CONCERN: _ALL,
    # Low-level concerns go to the headteacher (or the trust's named person: by user id).
    Action.HANDLE_LOW_LEVEL_CONCERN: frozenset({Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD}),
    # What may appear in a reference: the headteacher writes references.
    Action.VIEW_PERSONNEL_RECORD: frozenset({Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD}),
    Action.DECLARE_SOCIAL_MEDIA: _ALL,
    Action.HANDLE_SOCIAL_MEDIA: _DSLS | {Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD},
    # The school's data lead keeps the consent record (seed 001 §7.3), with the DSLs and head.
    # A member of staff authorised on a channel also runs the posting check for it (yes/no per
    # pupil) and records their own posts: that is decided against the channel, not by role.
    Action.VIEW_CONSENT: _PASTORAL,
    Action.RECORD_CONSENT: _PASTORAL,
    Action.MANAGE_CHANNELS: _PASTORAL,
    Action.RECORD_PUBLICATION: _PASTORAL,
    Action.CHECK_POSTING: _PASTORAL,
    # Held trust-wide only (domain/ledger/readers.py): the log is every school's at once.
    Action.VIEW_LEDGER_STATUS: frozenset({Role.TRUST_SAFEGUARDING_LEAD, Role.DPO}),
    # Approval is by a second person, a DPO or any trust-wide role (domain.retention.erasure_rules).
    Action.ERASE_RECORDS: frozenset({Role.DPO}),
    Action.VIEW_ERASURES: frozenset(
        {Role.DPO, Role.TRUST_SAFEGUARDING_LEAD, Role.CHAIR_OF_GOVERNORS}
    ),
    # Any role in the trust, school-wide or trust-wide (``schools_in_trust``).
    Action.VIEW_TRUST_SIGNING_KEY: _ALL,
    Action.MANAGE_RETENTION: frozenset({Role.DPO}),
    Action.PLACE_LEGAL_HOLD: frozenset({Role.DPO, Role.TRUST_SAFEGUARDING_LEAD}),
    Action.MANAGE_WEBHOOKS: frozenset({Role.DSL, Role.HEADTEACHER, Role.TRUST_SAFEGUARDING_LEAD}),
}


@dataclass(frozen=True)
class Grant:
    """A role held in a trust (``school_id`` None: trust-wide) or in one of its schools.

    ``granted_by`` is who made the grant, and ``granter_subjects`` the records of which that
    person is the subject: the grant never reaches those. Neither is part of the grant's
    identity (the same role in the same place is one grant, whoever made it).
    """

    role: Role
    trust_id: UUID
    school_id: UUID | None = None
    granted_by: str | None = field(default=None, compare=False)
    granter_subjects: frozenset[UUID] = field(default=frozenset(), compare=False)

    @property
    def scope(self) -> Scope:
        return Scope.TRUST if self.school_id is None else Scope.SCHOOL

    def reaches(self, target: Target) -> bool:
        if self.trust_id != target.trust_id:
            return False
        if target.subject_ids & self.granter_subjects:
            return False  # access that flows from the subject's own grant
        return self.school_id is None or self.school_id == target.school_id


@dataclass(frozen=True)
class Target:
    """What an action touches: its tenancy, and the people the record is about."""

    trust_id: UUID
    school_id: UUID | None = None
    subject_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Principal:
    """An authenticated user: their grants, and the records of which they are the subject."""

    user_id: str
    grants: frozenset[Grant] = frozenset()
    subject_of: frozenset[UUID] = frozenset()
    is_operator: bool = False
    # Everyone up the chains of grants this principal's roles came from (see
    # ``Grant.granter_subjects``): a change to any of them changes what the grants reach.
    granters: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def operator(cls, name: str = "operator") -> Principal:
        """The command-line operator, who provisions trusts and first grants."""
        return cls(user_id=f"operator:{name}", is_operator=True)


def confined_to_trust(principal: Principal, trust_id: UUID) -> Principal:
    """The principal with only its grants in one trust. A user vouched for by a trust's own
    identity provider acts only in that trust: its administrators can name any address in their
    tenant, and must not thereby reach another trust's records."""
    grants = frozenset(g for g in principal.grants if g.trust_id == trust_id)
    return replace(principal, grants=grants, is_operator=False)


@dataclass(frozen=True)
class Reach:
    """Where a principal may perform an action: whole trusts, single schools, minus own records."""

    trust_ids: frozenset[UUID] = field(default_factory=frozenset)
    school_ids: frozenset[UUID] = field(default_factory=frozenset)
    excluded_subjects: frozenset[UUID] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.trust_ids and not self.school_ids


def _excluded(principal: Principal, grants: Iterable[Grant]) -> frozenset[UUID]:
    """The records a listing through ``grants`` must leave out: the principal's own, and those
    whose subject made one of the grants. (Leaving one out when another grant, not made by its
    subject, would also reach it errs on the side of the subject.)"""
    return principal.subject_of.union(*(g.granter_subjects for g in grants))


def permits(principal: Principal, action: Action, target: Target) -> bool:
    if target.subject_ids & principal.subject_of:
        return False
    if principal.is_operator:
        return True
    allowed = PERMISSIONS[action]
    return any(g.role in allowed and g.reaches(target) for g in principal.grants)


def authorise(principal: Principal, action: Action, target: Target) -> None:
    """Raise :class:`NotAuthorised` unless ``principal`` may perform ``action`` on ``target``.

    The refusal says the same whatever the reason: a subject is not told that a record about
    them exists."""
    if not permits(principal, action, target):
        raise NotAuthorised(f"You are not authorised to {action.value.replace('_', ' ')} here")


# How a case names people: by login (its events), or by the login's blind index (its views).
LoginRef = TypeVar("LoginRef", str, bytes)


def authorise_case(
    principal: Principal,
    oversight: Action,
    target: Target,
    members: Collection[LoginRef],
    subject_user_id: LoginRef | None,
    caller: LoginRef | None = None,
) -> None:
    """A staff case (allegation, low-level concern): its named people and the oversight roles.

    Named people (case manager, case team, recipient) read it while they hold any role that
    reaches its school, so a member whose roles end loses the case. The subject never reads
    it, whatever their role or membership. ``members`` and ``subject_user_id`` name people
    as ``caller`` names the principal: their login by default, or its blind index when they
    come from a view.
    """
    me = principal.user_id if caller is None else caller
    subject = subject_user_id is not None and me == subject_user_id
    if not subject and not target.subject_ids & principal.subject_of:
        if me in members and any(g.reaches(target) for g in principal.grants):
            return
        if permits(principal, oversight, target):
            return
    raise NotAuthorised(f"You are not authorised to {oversight.value.replace('_', ' ')} here")


def case_reach(principal: Principal) -> Reach:
    """Where a principal holds any role: the bound on the cases they are named in."""
    return Reach(
        trust_ids=frozenset(g.trust_id for g in principal.grants if g.school_id is None),
        school_ids=frozenset(g.school_id for g in principal.grants if g.school_id is not None),
        excluded_subjects=_excluded(principal, principal.grants),
    )


def reach(principal: Principal, action: Action) -> Reach:
    """The schools and trusts where ``principal`` may perform ``action`` (for list queries)."""
    allowed = PERMISSIONS[action]
    grants = [g for g in principal.grants if g.role in allowed]
    return Reach(
        trust_ids=frozenset(g.trust_id for g in grants if g.school_id is None),
        school_ids=frozenset(g.school_id for g in grants if g.school_id is not None),
        excluded_subjects=_excluded(principal, grants),
    )


def schools_in_trust(principal: Principal, action: Action, trust_id: UUID) -> list[UUID] | None:
    """Where in ``trust_id`` ``principal`` may perform ``action``: None for the whole trust, or
    the schools their school roles reach; NotAuthorised if nowhere."""
    visible = reach(principal, action)
    if trust_id in visible.trust_ids:
        return None
    schools = [s for s in visible.school_ids if permits(principal, action, Target(trust_id, s))]
    if not schools:
        authorise(principal, action, Target(trust_id))
    return schools
