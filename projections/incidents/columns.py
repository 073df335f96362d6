"""The data map of the incidents view (see ``projections.classification``); the evidence
store, which incidents share with allegations, is in ``projections.platform_columns``."""

from __future__ import annotations

from projections.classification import (
    AT,
    COUNT,
    ENUM,
    FLAG,
    ID,
    LOGIN_SEALED,
    SEQ,
    Table,
    blind_index,
    plain,
    sealed,
)

INCIDENT = "the incident's"

TABLES: dict[str, Table] = {
    "inc_incidents": {
        "incident_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "status": ENUM,
        "category": plain("a category code: built in, or a trust's own (lower-case letters)"),
        "risk": ENUM,
        "meets_cp_threshold": FLAG,
        "source": ENUM,
        "platform": sealed(INCIDENT, "free text typed by the reporter"),
        "platform_ix": blind_index(
            "platform, exactly as typed, within the trust", "the pattern flags group by platform"
        ),
        "on_site": FLAG,
        "device": ENUM,
        "occurred_at": AT,
        "reported_at": AT,
        "reported_by": LOGIN_SEALED,
        "reported_by_ix": blind_index("login", "a reporter lists their own reports"),
        "description": sealed(INCIDENT, "free text"),
        "staff_conduct": FLAG,
        "triaged_at": AT,
        "closed_at": AT,
        "version": COUNT,
        "seq": SEQ,
    },
    "inc_people": {"incident_id": ID, "person_id": ID, "part": ENUM},
    "inc_chronology": {
        "entry_seq": SEQ,
        "incident_id": ID,
        "school_id": ID,
        "at": AT,
        "actor": LOGIN_SEALED,
        "actor_ix": blind_index("login", "the actor's name and roles at the time, by login"),
        "kind": ENUM,
        "summary": plain(
            "made only of kinds, categories, counts, dates and ids (no free text: chronology.py)"
        ),
        "what": sealed(INCIDENT, "free text"),
        "decision": sealed(INCIDENT, "free text"),
        "rationale": sealed(INCIDENT, "free text"),
    },
    "inc_actions": {
        "action_id": ID,
        "incident_id": ID,
        "school_id": ID,
        "kind": ENUM,
        "planned": FLAG,
        "due_on": AT,
        "completed": FLAG,
    },
    "inc_evidence": {
        "file_id": ID,
        "incident_id": ID,
        "filename": sealed(INCIDENT, "a file name"),
        "content_type": plain("one of the accepted media types (a fixed list)"),
        "size": COUNT,
        "sha256": sealed(
            INCIDENT,
            "a file's fingerprint: with a copy of a file (an image of a pupil, say), a plain "
            "hash would tell which incident holds it, even after the file is erased",
        ),
        "note": sealed(INCIDENT, "free text"),
        "attached_at": AT,
        "attached_by": LOGIN_SEALED,
    },
    "inc_links": {"incident_id": ID, "other_id": ID},
    "inc_categories": {
        "trust_id": ID,
        "code": plain("a category code (lower-case letters, digits, _)"),
        "label": plain("a trust's name for one of its categories: the trust's, not a person's"),
    },
}
