"""Incidents view: per-school incident rows, people, chronology, actions, evidence and links."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.directory.aggregates import Trust
from domain.incidents.aggregates import Incident
from domain.incidents.model import Status
from domain.retention.erasure import Erasure
from domain.shared.blind_index import BlindIndex
from projections.common import sealed_column
from projections.incidents.chronology import entry_for
from projections.incidents.queries import EVIDENCE
from projections.view import View, handles


def platform_ix(index: BlindIndex, trust_id: UUID, platform: str) -> bytes:
    """The pattern flags group a school's incidents by platform, exactly as typed: within the
    trust, so that no two trusts' indexes of one platform match."""
    return index.term("platform", platform, trust_id)


class IncidentsView(View):
    name = "incidents"
    tables = (
        "inc_incidents",
        "inc_people",
        "inc_chronology",
        "inc_actions",
        "inc_evidence",
        "inc_links",
        "inc_categories",
    )

    def keys_needed(self, event: Any) -> Iterable[UUID]:
        """A report's platform is opened for its blind index; an older event's plain platform
        or fingerprint is sealed with the incident's key."""
        if isinstance(event, Incident.Reported):
            people = [UUID(str(p["person_id"])) for p in event.people]
            return [event.originator_id, *people] if event.platform is not None else people
        if isinstance(event, Incident.EvidenceAttached) and isinstance(event.sha256, str):
            return (event.originator_id,)
        return ()

    def _chronicle(self, curs: Cursor[Any], e: Any, position: int) -> None:
        entry = entry_for(e)
        if entry is None:
            raise TypeError(f"{type(e).__qualname__} makes no chronology entry")
        curs.execute(
            "INSERT INTO inc_chronology (entry_seq, incident_id, school_id, at, actor, actor_ix, "
            "kind, summary, what, decision, rationale) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                position,
                e.originator_id,
                e.school_id,
                e.timestamp,
                *self.logins.seal_login(e.actor),
                entry.kind,
                entry.summary,
                sealed_column(entry.what),
                sealed_column(entry.decision),
                sealed_column(entry.rationale),
            ),
        )

    def _touch(
        self, curs: Cursor[Any], e: Any, sets: str = "", params: tuple[Any, ...] = ()
    ) -> None:
        curs.execute(
            f"UPDATE inc_incidents SET version = %s{sets} WHERE incident_id = %s",
            (e.originator_version, *params, e.originator_id),
        )

    @handles(Incident.Reported)
    def reported(self, curs: Cursor[Any], e: Incident.Reported, position: int) -> None:
        platform = self.open_text(e.platform)
        curs.execute(
            "INSERT INTO inc_incidents (incident_id, trust_id, school_id, status, category, "
            "source, platform, platform_ix, on_site, device, occurred_at, reported_at, "
            "reported_by, reported_by_ix, description, staff_conduct, version, seq) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                Status.REPORTED.value,
                e.category,
                e.source,
                self.seal_text(e.originator_id, e.platform),
                None if platform is None else platform_ix(self.logins.index, e.trust_id, platform),
                e.on_site,
                e.device,
                e.occurred_at,
                e.reported_at,
                *self.logins.seal_login(e.actor),
                sealed_column(e.description),
                e.concerns_staff_conduct,
                e.originator_version,
                position,
            ),
        )
        named = {str(p) for p in self.kept(UUID(str(p["person_id"])) for p in e.people)}
        curs.executemany(
            "INSERT INTO inc_people (incident_id, person_id, part) VALUES (%s, %s, %s)",
            [
                (e.originator_id, p["person_id"], p["part"])
                for p in e.people
                if str(p["person_id"]) in named
            ],
        )
        self._chronicle(curs, e, position)

    @handles(Incident.Triaged)
    def triaged(self, curs: Cursor[Any], e: Incident.Triaged, position: int) -> None:
        self._touch(
            curs,
            e,
            ", risk = %s, meets_cp_threshold = %s, category = %s, "
            "triaged_at = COALESCE(triaged_at, %s), "
            "status = CASE WHEN status = 'reported' THEN 'triaged' ELSE status END",
            (e.risk, e.meets_cp_threshold, e.category, e.timestamp),
        )
        self._chronicle(curs, e, position)

    @handles(Incident.ActionRecorded)
    def action(self, curs: Cursor[Any], e: Incident.ActionRecorded, position: int) -> None:
        curs.execute(
            "INSERT INTO inc_actions (action_id, incident_id, school_id, kind, planned, due_on) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (e.action_id, e.originator_id, e.school_id, e.kind, e.planned, e.due_on),
        )
        if e.completes is not None:
            curs.execute(
                "UPDATE inc_actions SET completed = true WHERE action_id = %s", (e.completes,)
            )
        self._touch(curs, e)
        self._chronicle(curs, e, position)

    @handles(Incident.EvidenceAttached)
    def evidence(self, curs: Cursor[Any], e: Incident.EvidenceAttached, position: int) -> None:
        EVIDENCE.insert(
            curs, e, self.seal_text(e.originator_id, e.sha256), self.logins.seal(e.actor)
        )
        self._touch(curs, e)
        self._chronicle(curs, e, position)

    @handles(Incident.Linked)
    def linked(self, curs: Cursor[Any], e: Incident.Linked, position: int) -> None:
        curs.execute(
            "INSERT INTO inc_links (incident_id, other_id) VALUES (%s, %s)",
            (e.originator_id, e.other_incident_id),
        )
        self._touch(curs, e)
        self._chronicle(curs, e, position)

    @handles(Incident.Closed)
    def closed(self, curs: Cursor[Any], e: Incident.Closed, position: int) -> None:
        self._touch(curs, e, ", status = 'closed', closed_at = %s", (e.timestamp,))
        self._chronicle(curs, e, position)

    @handles(Incident.Reopened)
    def reopened(self, curs: Cursor[Any], e: Incident.Reopened, position: int) -> None:
        self._touch(curs, e, ", status = 'reopened', closed_at = NULL")
        self._chronicle(curs, e, position)

    @handles(Trust.IncidentCategoryAdded)
    def category_added(
        self, curs: Cursor[Any], e: Trust.IncidentCategoryAdded, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO inc_categories (trust_id, code, label) VALUES (%s, %s, %s)",
            (e.originator_id, e.code, e.label),
        )

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """What remains of an erased incident is its skeleton: its row's plain columns, its
        chronology's kinds, times and summaries, its actions' kinds and its links to other
        incidents. The people it names go, and so does every row naming an erased person in
        another incident; the platform's blind index goes with the platform."""
        curs.execute(
            "DELETE FROM inc_people WHERE incident_id = ANY(%s) OR person_id = ANY(%s)",
            (e.record_ids, e.record_ids),
        )
        curs.execute(
            "UPDATE inc_incidents SET platform_ix = NULL "
            "WHERE platform_ix IS NOT NULL AND incident_id = ANY(%s)",
            (e.subject_ids,),
        )
        self.purge(curs, e)
