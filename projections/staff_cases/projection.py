"""Staff-cases view: allegations (with case members and chronology), low-level concerns,
staff social-media records, and what retention needs to know about each member of staff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from psycopg import Cursor

from domain.directory.aggregates import StaffMember
from domain.retention.erasure import Erasure
from domain.shared.sealing import Sealed
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.staff_cases.former_topics import FORMER_TOPICS
from domain.staff_cases.model import AllegationStatus, ConcernStatus, Text
from domain.staff_cases.social_media import ContactAttempt, PresenceCheck, SocialMediaDeclaration
from projections.common import sealed_column
from projections.staff_cases.chronology import entry_for
from projections.staff_cases.queries import EVIDENCE, MemberPart
from projections.view import View, handles


class StaffCasesView(View):
    name = "staff_cases"
    tables = (
        "sc_allegations",
        "sc_allegation_children",
        "sc_allegation_evidence",
        "sc_members",
        "sc_entries",
        "sc_case_links",
        "sc_concerns",
        "sc_social",
        "sc_staff",
    )

    @classmethod
    def topics(cls) -> frozenset[str]:
        """The topics of the events this view reads, as they are stored: events recorded
        before an aggregate moved module carry its former topic."""
        handled = super().topics()
        former = {t for t, c in FORMER_TOPICS.items() if get_topic(c) in handled}
        return handled | former

    def _text(self, subject_id: UUID, value: Text | None) -> bytes | None:
        """Free text as the view stores it: sealed with ``subject_id``'s key. Events recorded
        before the command sealed it carry it in plain; it is sealed here (and dropped if that
        key was destroyed: the record is erased)."""
        if value is None or isinstance(value, Sealed):
            return sealed_column(value)
        sealed = self.logins.keyring.seal_creating(subject_id, value)
        return None if sealed is None else sealed.to_bytes()

    def _ix(self, login: str | None) -> bytes | None:
        """The blind index of a login the view only matches (the subject's), never shows."""
        return None if login is None else self.logins.ix(login)

    def _chronicle(self, curs: Cursor[Any], e: Any, position: int) -> None:
        entry = entry_for(e)
        if entry is None:
            raise TypeError(f"{type(e).__qualname__} makes no chronology entry")
        curs.execute(
            "INSERT INTO sc_entries (entry_seq, case_id, at, actor, kind, summary, named, detail, "
            "what, decision, rationale) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                position,
                e.originator_id,
                e.timestamp,
                self.logins.seal(e.actor),
                entry.kind,
                entry.summary,
                None if entry.named is None else self.logins.seal(entry.named),
                self._text(e.originator_id, entry.detail),
                sealed_column(entry.what),
                sealed_column(entry.decision),
                sealed_column(entry.rationale),
            ),
        )

    def _allegation(
        self, curs: Cursor[Any], e: Any, position: int, sets: str = "", params: tuple[Any, ...] = ()
    ) -> None:
        curs.execute(
            f"UPDATE sc_allegations SET version = %s{sets} WHERE allegation_id = %s",
            (e.originator_version, *params, e.originator_id),
        )
        self._chronicle(curs, e, position)

    def _member(
        self,
        curs: Cursor[Any],
        allegation_id: Any,
        user: str,
        part: str,
        responsibility: bytes | None = None,
    ) -> None:
        sealed, ix = self.logins.seal_login(user)
        curs.execute(
            "INSERT INTO sc_members (allegation_id, user_ix, user_id, part, responsibility) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (allegation_id, user_ix) DO UPDATE "
            "SET part = EXCLUDED.part, responsibility = EXCLUDED.responsibility",
            (allegation_id, ix, sealed, part, responsibility),
        )

    @handles(Allegation.Received)
    def received(self, curs: Cursor[Any], e: Allegation.Received, position: int) -> None:
        t = e.harm_tests
        curs.execute(
            "INSERT INTO sc_allegations (allegation_id, trust_id, school_id, subject_id, "
            "subject_user_ix, status, received_at, received_by, source, received_via, category, "
            "description, harmed_child, possible_offence, risk_of_harm, unsuitable, outside_work, "
            "case_manager, case_manager_basis, lado_due_on, version, seq, location, "
            "more_than_one_incident, after_physical_intervention, injury, others_told) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.subject_id,
                self._ix(e.subject_user_id),
                AllegationStatus.OPEN.value,
                e.received_at,
                self.logins.seal(e.actor),
                e.source,
                e.received_via,
                e.category,
                sealed_column(e.description),
                t["harmed_child"],
                t["possible_offence"],
                t["risk_of_harm"],
                t["unsuitable"],
                e.outside_work,
                self.logins.seal(e.case_manager),
                e.case_manager_basis,
                e.lado_due_on,
                e.originator_version,
                position,
                sealed_column(e.location),
                e.more_than_one_incident,
                e.after_physical_intervention,
                sealed_column(e.injury),
                sealed_column(e.others_told),
            ),
        )
        self._children(curs, e.originator_id, e.children)
        self._member(curs, e.originator_id, e.case_manager, MemberPart.CASE_MANAGER)
        for user in e.case_team:
            self._member(curs, e.originator_id, user, MemberPart.RECEIVER)
        for concern_id in e.from_concerns:
            curs.execute(
                "INSERT INTO sc_case_links (allegation_id, concern_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (e.originator_id, concern_id),
            )
        self._chronicle(curs, e, position)

    def keys_needed(self, event: Any) -> Iterable[UUID]:
        """The children an allegation names: an erased child is not listed."""
        children = getattr(event, "children", None)
        if isinstance(event, Allegation.Received | Allegation.DetailsRecorded) and children:
            return [child["pupil_id"] for child in children]
        return ()

    def _children(
        self, curs: Cursor[Any], allegation_id: UUID, children: list[dict[str, Any]]
    ) -> None:
        """The children an allegation concerns, in the order named, in place of any before;
        an erased child is not listed (their ordinals are kept: the order named)."""
        curs.execute(
            "DELETE FROM sc_allegation_children WHERE allegation_id = %s", (allegation_id,)
        )
        named = set(self.kept(UUID(str(child["pupil_id"])) for child in children))
        for ordinal, child in enumerate(children):
            if UUID(str(child["pupil_id"])) not in named:
                continue
            curs.execute(
                "INSERT INTO sc_allegation_children (allegation_id, ordinal, pupil_id, "
                "relationship) VALUES (%s, %s, %s, %s)",
                (allegation_id, ordinal, child["pupil_id"], child["relationship"]),
            )

    @handles(Allegation.DetailsRecorded)
    def details(self, curs: Cursor[Any], e: Allegation.DetailsRecorded, position: int) -> None:
        given = {
            "location": sealed_column(e.location),
            "more_than_one_incident": e.more_than_one_incident,
            "after_physical_intervention": e.after_physical_intervention,
            "injury": sealed_column(e.injury),
            "others_told": sealed_column(e.others_told),
        }
        changed = {column: value for column, value in given.items() if value is not None}
        sets = "".join(f", {column} = %s" for column in changed)
        if e.children is not None:
            self._children(curs, e.originator_id, e.children)
        self._allegation(curs, e, position, sets, tuple(changed.values()))

    @handles(Allegation.EvidenceAttached)
    def evidence(self, curs: Cursor[Any], e: Allegation.EvidenceAttached, position: int) -> None:
        EVIDENCE.insert(curs, e, sealed_column(e.sha256), self.logins.seal(e.actor))
        self._allegation(curs, e, position)

    @handles(Allegation.CaseManagerAssigned)
    def manager(self, curs: Cursor[Any], e: Allegation.CaseManagerAssigned, position: int) -> None:
        curs.execute(
            "DELETE FROM sc_members WHERE allegation_id = %s AND part = %s",
            (e.originator_id, MemberPart.CASE_MANAGER),
        )
        self._member(curs, e.originator_id, e.user_id, MemberPart.CASE_MANAGER)
        self._allegation(
            curs,
            e,
            position,
            ", case_manager = %s, case_manager_basis = 'override'",
            (self.logins.seal(e.user_id),),
        )

    @handles(Allegation.CaseTeamMemberAdded)
    def team(self, curs: Cursor[Any], e: Allegation.CaseTeamMemberAdded, position: int) -> None:
        responsibility = self._text(e.originator_id, e.responsibility)
        self._member(curs, e.originator_id, e.user_id, MemberPart.TEAM, responsibility)
        self._allegation(curs, e, position)

    @handles(Allegation.LadoConsulted)
    def lado(self, curs: Cursor[Any], e: Allegation.LadoConsulted, position: int) -> None:
        self._allegation(
            curs,
            e,
            position,
            ", lado_consulted_at = LEAST(COALESCE(lado_consulted_at, %s), %s)",
            (e.consulted_at, e.consulted_at),
        )

    @handles(Allegation.ActionRecorded, Allegation.StrategyDiscussionHeld)
    def recorded(self, curs: Cursor[Any], e: Any, position: int) -> None:
        self._allegation(curs, e, position)

    @handles(Allegation.SuspensionConsidered)
    def suspension(
        self, curs: Cursor[Any], e: Allegation.SuspensionConsidered, position: int
    ) -> None:
        self._allegation(curs, e, position, ", suspension_decision = %s", (e.decision,))

    @handles(Allegation.OutcomeRecorded)
    def outcome(self, curs: Cursor[Any], e: Allegation.OutcomeRecorded, position: int) -> None:
        self._allegation(
            curs,
            e,
            position,
            ", outcome = %s, outcome_at = %s, outcome_summary = %s",
            (e.outcome, e.decided_at, sealed_column(e.summary)),
        )

    @handles(Allegation.ReferenceDeclared)
    def reference(self, curs: Cursor[Any], e: Allegation.ReferenceDeclared, position: int) -> None:
        self._allegation(
            curs,
            e,
            position,
            ", reference_will_cite = %s, reference_declaration = %s",
            (e.will_be_referred_to, sealed_column(e.declaration)),
        )

    @handles(Allegation.RetentionConsentRecorded)
    def retention(
        self, curs: Cursor[Any], e: Allegation.RetentionConsentRecorded, position: int
    ) -> None:
        self._allegation(curs, e, position, ", retention_consent = true")

    @handles(Allegation.LessonsLearntRecorded)
    def lessons(
        self, curs: Cursor[Any], e: Allegation.LessonsLearntRecorded, position: int
    ) -> None:
        self._allegation(curs, e, position, ", lessons_learnt_at = %s", (e.timestamp,))

    @handles(Allegation.Closed)
    def closed(self, curs: Cursor[Any], e: Allegation.Closed, position: int) -> None:
        self._allegation(curs, e, position, ", status = 'closed', closed_at = %s", (e.timestamp,))

    @handles(Allegation.ReferralExported)
    def exported(self, curs: Cursor[Any], e: Allegation.ReferralExported, position: int) -> None:
        self._allegation(curs, e, position, "")

    # --- low-level concerns -------------------------------------------------------------

    def _concern(
        self, curs: Cursor[Any], e: Any, position: int, sets: str, params: tuple[Any, ...] = ()
    ) -> None:
        curs.execute(
            f"UPDATE sc_concerns SET version = %s{sets} WHERE concern_id = %s",
            (e.originator_version, *params, e.originator_id),
        )
        self._chronicle(curs, e, position)

    @handles(LowLevelConcern.Raised)
    def raised(self, curs: Cursor[Any], e: LowLevelConcern.Raised, position: int) -> None:
        curs.execute(
            "INSERT INTO sc_concerns (concern_id, trust_id, school_id, subject_id, "
            "subject_user_ix, raised_by, raised_at, occurred_on, self_reported, withhold_name, "
            "details, context, recipient, recipient_ix, recipient_basis, screened_as_allegation, "
            "status, version, seq) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.subject_id,
                self._ix(e.subject_user_id),
                self.logins.seal(e.actor),
                e.timestamp,
                e.occurred_on,
                e.self_reported,
                e.withhold_name_from_subject,
                sealed_column(e.details),
                sealed_column(e.context),
                *self.logins.seal_login(e.recipient),
                e.recipient_basis,
                e.screening is not None,
                ConcernStatus.RAISED.value,
                e.originator_version,
                position,
            ),
        )
        self._chronicle(curs, e, position)

    @handles(LowLevelConcern.Reviewed)
    def reviewed(self, curs: Cursor[Any], e: LowLevelConcern.Reviewed, position: int) -> None:
        self._concern(
            curs,
            e,
            position,
            ", status = 'reviewed', reviewed_at = %s, action_taken = %s, rationale = %s",
            (e.reviewed_at, sealed_column(e.action_taken), sealed_column(e.rationale)),
        )

    @handles(LowLevelConcern.Escalated)
    def escalated(self, curs: Cursor[Any], e: LowLevelConcern.Escalated, position: int) -> None:
        curs.execute(
            "INSERT INTO sc_case_links (allegation_id, concern_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (e.allegation_id, e.originator_id),
        )
        self._concern(
            curs, e, position, ", status = 'escalated', escalated_to = %s", (e.allegation_id,)
        )

    @handles(LowLevelConcern.Closed)
    def concern_closed(self, curs: Cursor[Any], e: LowLevelConcern.Closed, position: int) -> None:
        self._concern(curs, e, position, ", status = 'closed', closed_at = %s", (e.timestamp,))

    # --- social media -------------------------------------------------------------------

    def _social(self, curs: Cursor[Any], e: Any, position: int, staff_id: Any, **cols: Any) -> None:
        names = [
            "entry_seq",
            "record_id",
            "staff_id",
            "trust_id",
            "school_id",
            "kind",
            "at",
            "actor",
        ]
        values = [
            position,
            e.originator_id,
            staff_id,
            e.trust_id,
            e.school_id,
            cols.pop("kind"),
            cols.pop("at"),
            self.logins.seal(e.actor),
        ]
        names += list(cols)
        values += [sealed_column(v) if isinstance(v, Sealed) else v for v in cols.values()]
        curs.execute(
            f"INSERT INTO sc_social ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
            values,
        )

    @handles(SocialMediaDeclaration.Declared)
    def declared(
        self, curs: Cursor[Any], e: SocialMediaDeclaration.Declared, position: int
    ) -> None:
        self._social(
            curs,
            e,
            position,
            e.staff_id,
            kind="declaration",
            at=e.declared_at,
            platform=self._text(e.staff_id, e.platform),
            detail=e.relationship,
        )

    @handles(SocialMediaDeclaration.Updated)
    def declaration_updated(
        self, curs: Cursor[Any], e: SocialMediaDeclaration.Updated, position: int
    ) -> None:
        self._social(
            curs,
            e,
            position,
            e.staff_id,
            kind="declaration_update",
            at=e.changed_at,
            detail=e.circumstances,
            ended=e.ended,
        )

    @handles(SocialMediaDeclaration.AdviceRecorded)
    def advice(
        self, curs: Cursor[Any], e: SocialMediaDeclaration.AdviceRecorded, position: int
    ) -> None:
        self._social(
            curs,
            e,
            position,
            e.staff_id,
            kind="declaration_advice",
            at=e.advised_at,
            advice=e.advice,
            decision=e.decision,
        )

    @handles(ContactAttempt.Reported)
    def contact(self, curs: Cursor[Any], e: ContactAttempt.Reported, position: int) -> None:
        self._social(
            curs,
            e,
            position,
            e.staff_id,
            kind="contact_attempt",
            at=e.occurred_at,
            platform=self._text(e.staff_id, e.platform),
            detail=e.description,
            advice=e.response,
            contact_from=e.contact_from,
            from_person_id=e.from_person_id,
        )

    @handles(PresenceCheck.Recorded)
    def presence(self, curs: Cursor[Any], e: PresenceCheck.Recorded, position: int) -> None:
        self._social(
            curs,
            e,
            position,
            e.staff_id,
            kind="presence_check",
            at=e.checked_at,
            platform=self._text(e.staff_id, e.platforms),
            detail=e.notes,
            outcome=e.outcome,
        )

    # --- retention facts about staff ----------------------------------------------------

    @handles(StaffMember.PensionAgeRecorded)
    def pension_age(
        self, curs: Cursor[Any], e: StaffMember.PensionAgeRecorded, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO sc_staff (staff_id, reaches_pension_age_on) VALUES (%s, %s) "
            "ON CONFLICT (staff_id) DO UPDATE "
            "SET reaches_pension_age_on = EXCLUDED.reaches_pension_age_on",
            (e.originator_id, e.reaches_on),
        )

    @handles(StaffMember.Left)
    def staff_left(self, curs: Cursor[Any], e: StaffMember.Left, position: int) -> None:
        curs.execute(
            "INSERT INTO sc_staff (staff_id, left_on) VALUES (%s, %s) "
            "ON CONFLICT (staff_id) DO UPDATE SET left_on = EXCLUDED.left_on",
            (e.originator_id, e.left_on),
        )

    # --- erasure ------------------------------------------------------------------------

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """What remains of an erased allegation or concern is its skeleton: its row's plain
        columns and its chronology's kinds, times and summaries. The children an allegation
        names go, and so does every row naming an erased pupil in another case; so do its
        members, and every membership of an erased login (the row exists only to name it);
        a social-media record no longer points at an erased pupil or parent."""
        ids = e.record_ids
        curs.execute(
            "DELETE FROM sc_allegation_children "
            "WHERE allegation_id = ANY(%s) OR pupil_id = ANY(%s)",
            (ids, ids),
        )
        curs.execute(
            "DELETE FROM sc_members WHERE allegation_id = ANY(%s) OR user_ix = ANY(%s)",
            (ids, [bytes.fromhex(ix) for ix in e.blind_indexes]),
        )
        curs.execute(
            "UPDATE sc_social SET from_person_id = NULL WHERE from_person_id = ANY(%s)", (ids,)
        )
        self.purge(curs, e)
