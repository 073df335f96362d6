"""Consent view: every decision with the instant it takes effect from, the pupils it is about,
the channel register, the publication log and the takedown queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.consent.aggregates import Channel, ConsentRecord, Publication
from domain.consent.model import TakedownOutcome, party_of
from domain.directory.aggregates import Pupil
from domain.retention.erasure import Erasure
from domain.shared.calendar import end_of_london_day
from domain.shared.logins import login_subject
from projections.common import sealed_column
from projections.view import View, handles

# The events whose actor the view stores (who recorded, confirmed, opened, posted, approved...).
_ACTOR_STORED = (
    ConsentRecord._Decided,
    ConsentRecord.ConfirmedForYear,
    Channel.Opened,
    Publication.Recorded,
    Publication.Approved,
    Publication.TakedownRecorded,
)


class ConsentView(View):
    """Nothing identifying is stored in plain (``projections/consent/columns.py``): free text
    sealed with its record's key, logins sealed with their holder's."""

    name = "consent"
    tables = (
        "cs_pupils",
        "cs_rulings",
        "cs_confirmations",
        "cs_channels",
        "cs_posters",
        "cs_publications",
        "cs_publication_pupils",
        "cs_takedowns",
    )

    def keys_needed(self, event: Any) -> Iterable[UUID]:
        """The keys of the logins an event names (each sealed with its holder's), and of the
        record whose free text an older event carries in plain (sealed with it here)."""
        logins = [event.actor] if isinstance(event, _ACTOR_STORED) else []
        plain: list[Any] = []
        subject = event.originator_id
        if isinstance(event, ConsentRecord._Decided):
            plain = [event.reference, getattr(event, "statement_version", None)]
            subject = event.pupil_id
        elif isinstance(event, Channel.Opened):
            plain = [event.platform, event.account_name, event.risk_assessment_approved_by]
        elif isinstance(event, Channel.PosterAuthorised):
            logins.append(event.user_id)
        elif isinstance(event, Publication.Recorded):
            logins.append(event.posted_by)
            plain = [event.link]
        keys = [login_subject(login) for login in logins]
        if isinstance(event, Publication.Recorded):
            keys.extend(event.pupil_ids)  # an erased pupil is not listed
        if any(isinstance(value, str) for value in plain):
            keys.append(subject)
        return keys

    # --- pupils ---------------------------------------------------------------------------

    @handles(Pupil.Registered)
    def pupil_registered(self, curs: Cursor[Any], e: Pupil.Registered, position: int) -> None:
        curs.execute(
            "INSERT INTO cs_pupils (pupil_id, trust_id, school_id, year_group, seq) "
            "VALUES (%s, %s, %s, %s, %s)",
            (e.originator_id, e.trust_id, e.school_id, e.year_group, position),
        )

    @handles(Pupil.Left)
    def pupil_left(self, curs: Cursor[Any], e: Pupil.Left, position: int) -> None:
        curs.execute(
            "UPDATE cs_pupils SET left_on = %s, lapses_at = %s WHERE pupil_id = %s",
            (e.left_on, end_of_london_day(e.left_on), e.originator_id),
        )

    # --- consent records ------------------------------------------------------------------

    @handles(ConsentRecord.CompetenceAssessed)
    def assessed(
        self, curs: Cursor[Any], e: ConsentRecord.CompetenceAssessed, position: int
    ) -> None:
        curs.execute(
            "UPDATE cs_pupils SET competent = %s, competence_assessed_at = %s, "
            "competence_notes = %s WHERE pupil_id = %s AND (competence_assessed_at IS NULL "
            "OR competence_assessed_at <= %s)",
            (e.competent, e.assessed_at, sealed_column(e.notes), e.pupil_id, e.assessed_at),
        )

    @handles(
        ConsentRecord.ConsentGiven, ConsentRecord.ConsentAmended, ConsentRecord.ConsentWithdrawn
    )
    def decided(self, curs: Cursor[Any], e: Any, position: int) -> None:
        party = party_of(e.consenter_kind, e.parent_carer_id)
        reference = self.seal_text(e.pupil_id, e.reference)
        statement_version = self.seal_text(e.pupil_id, getattr(e, "statement_version", None))
        recorded_by = self.logins.seal(e.actor)
        rows = [
            (
                e.pupil_id,
                c["medium"],
                c["channel"],
                party,
                e.received_at,
                e.originator_version,
                c["decision"],
                type(e).__name__,
                e.originator_id,
                e.timestamp,
                e.consenter_kind,
                e.parent_carer_id,
                e.method,
                reference,
                statement_version,
                recorded_by,
            )
            for c in e.choices
        ]
        curs.executemany(
            "INSERT INTO cs_rulings (pupil_id, medium, channel, party, effective_at, version, "
            "decision, kind, record_id, recorded_at, consenter_kind, parent_carer_id, method, "
            "reference, statement_version, recorded_by) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        curs.execute(
            "UPDATE cs_pupils SET first_received_at = LEAST(first_received_at, %s), "
            "last_received_at = GREATEST(last_received_at, %s) WHERE pupil_id = %s",
            (e.received_at, e.received_at, e.pupil_id),
        )

    @handles(ConsentRecord.ConfirmedForYear)
    def confirmed(
        self, curs: Cursor[Any], e: ConsentRecord.ConfirmedForYear, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO cs_confirmations (pupil_id, academic_year, confirmed_at, confirmed_by) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (e.pupil_id, e.academic_year, e.timestamp, self.logins.seal(e.actor)),
        )

    # --- channels -------------------------------------------------------------------------

    @handles(Channel.Opened)
    def channel_opened(self, curs: Cursor[Any], e: Channel.Opened, position: int) -> None:
        curs.execute(
            "INSERT INTO cs_channels (channel_id, trust_id, school_id, kind, platform, "
            "account_name, master_administrator_id, purpose, opened_on, "
            "risk_assessment_approved_by, risk_assessment_approver, risk_assessment_approved_on, "
            "mfa_enabled, opened_by, version, seq) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.kind,
                self.seal_text(e.originator_id, e.platform),
                self.seal_text(e.originator_id, e.account_name),
                e.master_administrator_id,
                sealed_column(e.purpose),
                e.opened_on,
                self.seal_text(e.originator_id, e.risk_assessment_approved_by),
                e.risk_assessment_approver,
                e.risk_assessment_approved_on,
                e.mfa_enabled,
                self.logins.seal(e.actor),
                e.originator_version,
                position,
            ),
        )

    def _channel_version(self, curs: Cursor[Any], e: Any, sets: str = "", *params: Any) -> None:
        curs.execute(
            f"UPDATE cs_channels SET version = %s{sets} WHERE channel_id = %s",
            (e.originator_version, *params, e.originator_id),
        )

    @handles(Channel.PosterAuthorised)
    def poster_authorised(
        self, curs: Cursor[Any], e: Channel.PosterAuthorised, position: int
    ) -> None:
        user_id, user_id_ix = self.logins.seal_login(e.user_id)
        curs.execute(
            "INSERT INTO cs_posters (channel_id, staff_member_id, user_id, user_id_ix, "
            "authorised_at, seq) VALUES (%s, %s, %s, %s, %s, %s)",
            (e.originator_id, e.staff_member_id, user_id, user_id_ix, e.effective_at, position),
        )
        self._channel_version(curs, e)

    @handles(Channel.PosterRevoked)
    def poster_revoked(self, curs: Cursor[Any], e: Channel.PosterRevoked, position: int) -> None:
        curs.execute(
            "UPDATE cs_posters SET revoked_at = %s WHERE channel_id = %s AND staff_member_id = %s "
            "AND revoked_at IS NULL",
            (e.effective_at, e.originator_id, e.staff_member_id),
        )
        self._channel_version(curs, e)

    @handles(Channel.Closed)
    def channel_closed(self, curs: Cursor[Any], e: Channel.Closed, position: int) -> None:
        self._channel_version(
            curs, e, ", closed_on = %s, close_reason = %s", e.closed_on, sealed_column(e.reason)
        )

    # --- publications ---------------------------------------------------------------------

    @handles(Publication.Recorded)
    def published(self, curs: Cursor[Any], e: Publication.Recorded, position: int) -> None:
        curs.execute(
            "INSERT INTO cs_publications (publication_id, trust_id, school_id, channel_id, "
            "channel, posted_at, media, identifiable, caption_names_anyone, posted_by, "
            "recorded_by, recorded_at, description, link, needs_approval, version, seq) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.channel_id,
                e.channel,
                e.posted_at,
                list(e.media),
                e.identifiable,
                e.caption_names_anyone,
                self.logins.seal(e.posted_by),
                self.logins.seal(e.actor),
                e.timestamp,
                sealed_column(e.description),
                self.seal_text(e.originator_id, e.link),
                e.needs_approval,
                e.originator_version,
                position,
            ),
        )
        curs.executemany(
            "INSERT INTO cs_publication_pupils (publication_id, pupil_id) VALUES (%s, %s)",
            [(e.originator_id, p) for p in self.kept(e.pupil_ids)],
        )

    def _publication_version(self, curs: Cursor[Any], e: Any, sets: str = "", *params: Any) -> None:
        curs.execute(
            f"UPDATE cs_publications SET version = %s{sets} WHERE publication_id = %s",
            (e.originator_version, *params, e.originator_id),
        )

    @handles(Publication.Approved)
    def approved(self, curs: Cursor[Any], e: Publication.Approved, position: int) -> None:
        self._publication_version(
            curs, e, ", approved_by = %s, approved_at = %s", self.logins.seal(e.actor), e.timestamp
        )

    @handles(Publication.TakedownRequested)
    def takedown_requested(
        self, curs: Cursor[Any], e: Publication.TakedownRequested, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO cs_takedowns (publication_id, pupil_id, trust_id, school_id, "
            "requested_at, withdrawal_received_at, seq) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.pupil_id,
                e.trust_id,
                e.school_id,
                e.timestamp,
                e.withdrawal_received_at,
                position,
            ),
        )
        self._publication_version(curs, e)

    @handles(Publication.TakedownRecorded)
    def taken_down(self, curs: Cursor[Any], e: Publication.TakedownRecorded, position: int) -> None:
        curs.execute(
            "UPDATE cs_takedowns SET outcome = %s, reason = %s, done_at = %s, done_by = %s "
            "WHERE publication_id = %s AND outcome IS NULL",
            (
                e.outcome,
                sealed_column(e.reason),
                e.done_at,
                self.logins.seal(e.actor),
                e.originator_id,
            ),
        )
        self._publication_version(curs, e, ", removed = %s", e.outcome == TakedownOutcome.REMOVED)

    # --- erasure --------------------------------------------------------------------------

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """An erased pupil's decisions keep their skeleton (media, channels, decisions, times:
        what a posting check needs to refuse, never to allow); a publication no longer lists
        them. Sealed references, notes and logins of destroyed keys go."""
        curs.execute("DELETE FROM cs_publication_pupils WHERE pupil_id = ANY(%s)", (e.record_ids,))
        self.purge(curs, e)
