"""The data map of the staff-cases view: allegations against staff, low-level concerns and staff
social-media records (see ``projections.classification``; migrations 0009, 0014, 0031 and
0033).

Free text is sealed with its record's key: an allegation's or a concern's own (so a malicious
or false allegation is erased alone), the staff member's for their social-media records. Logins
are sealed with their holder's key; where the view must match one (is the reader the subject,
on the case team, the recipient?) it keeps the login's blind index instead of the login.
"""

from __future__ import annotations

from projections.classification import (
    AT,
    COUNT,
    ENUM,
    FLAG,
    ID,
    LOGIN_IX,
    LOGIN_SEALED,
    SEQ,
    Table,
    blind_index,
    plain,
    sealed,
)

ALLEGATION = "the allegation's"
CONCERN = "the low-level concern's"
CASE = "the case's (allegation or low-level concern)"
STAFF = "the staff member's"
SUBJECT_IX = blind_index(
    "login", "the subject's login, to keep them from their own case; never shown, so not sealed"
)
STAFF_RECORD = plain("the staff record's id (a random uuid): the name it leads to is sealed")
HARM_TEST = plain("a harm test's yes/no answer (KCSIE para 356)")

TABLES: dict[str, Table] = {
    "sc_allegations": {
        "allegation_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "subject_id": STAFF_RECORD,
        "subject_user_ix": SUBJECT_IX,
        "status": ENUM,
        "received_at": AT,
        "received_by": LOGIN_SEALED,
        "source": ENUM,
        "received_via": ENUM,
        "category": ENUM,
        "description": sealed(ALLEGATION, "the allegation in the words received"),
        "harmed_child": HARM_TEST,
        "possible_offence": HARM_TEST,
        "risk_of_harm": HARM_TEST,
        "unsuitable": HARM_TEST,
        "outside_work": FLAG,
        "case_manager": LOGIN_SEALED,
        "case_manager_basis": ENUM,
        "lado_due_on": AT,
        "lado_consulted_at": AT,
        "suspension_decision": ENUM,
        "outcome": ENUM,
        "outcome_at": AT,
        "outcome_summary": sealed(ALLEGATION, "free text"),
        "reference_will_cite": FLAG,
        "reference_declaration": sealed(ALLEGATION, "what a reference will say: free text"),
        "retention_consent": FLAG,
        "lessons_learnt_at": AT,
        "closed_at": AT,
        "version": COUNT,
        "seq": SEQ,
        "location": sealed(ALLEGATION, "where it happened: free text"),
        "more_than_one_incident": plain("yes, no or not known (a LADO referral form's question)"),
        "after_physical_intervention": plain(
            "yes, no or not known: whether it followed an authorised physical intervention"
        ),
        "injury": sealed(ALLEGATION, "any injury: free text"),
        "others_told": sealed(ALLEGATION, "who else was told: free text"),
    },
    "sc_allegation_children": {
        "allegation_id": ID,
        "ordinal": COUNT,
        "pupil_id": plain("the pupil's record id (a random uuid): the name it leads to is sealed"),
        "relationship": ENUM,
    },
    "sc_allegation_evidence": {
        "file_id": ID,
        "allegation_id": ID,
        "filename": sealed(ALLEGATION, "a supporting document's file name"),
        "content_type": plain("one of the accepted media types (a fixed list)"),
        "size": COUNT,
        "sha256": sealed(
            ALLEGATION,
            "a document's fingerprint: with a copy of the file, a plain hash would tell which "
            "allegation holds it, even after the allegation is erased",
        ),
        "note": sealed(ALLEGATION, "free text"),
        "attached_at": AT,
        "attached_by": LOGIN_SEALED,
    },
    "sc_members": {
        "allegation_id": ID,
        "user_ix": blind_index("login", "a case's named people, matched to the reader"),
        "user_id": LOGIN_SEALED,
        "part": ENUM,
        "responsibility": sealed(ALLEGATION, "a team member's responsibility: free text"),
    },
    "sc_entries": {
        "entry_seq": SEQ,
        "case_id": ID,
        "at": AT,
        "actor": LOGIN_SEALED,
        "kind": ENUM,
        "summary": plain(
            "fixed words, enumerations and dates; the login and the free text it quotes are the "
            "{named} and {detail} columns"
        ),
        "named": LOGIN_SEALED,
        "detail": sealed(CASE, "a LADO, police or DBS reference, or a responsibility"),
        "what": sealed(CASE, "free text"),
        "decision": sealed(CASE, "free text"),
        "rationale": sealed(CASE, "free text"),
    },
    "sc_case_links": {"allegation_id": ID, "concern_id": ID},
    "sc_concerns": {
        "concern_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "subject_id": STAFF_RECORD,
        "subject_user_ix": SUBJECT_IX,
        "raised_by": LOGIN_SEALED,
        "raised_at": AT,
        "occurred_on": AT,
        "self_reported": FLAG,
        "withhold_name": FLAG,
        "details": sealed(CONCERN, "the concern in the words raised"),
        "context": sealed(CONCERN, "free text"),
        "recipient": LOGIN_SEALED,
        "recipient_ix": LOGIN_IX,
        "recipient_basis": ENUM,
        "screened_as_allegation": FLAG,
        "status": ENUM,
        "reviewed_at": AT,
        "action_taken": sealed(CONCERN, "free text"),
        "rationale": sealed(CONCERN, "free text"),
        "escalated_to": ID,
        "closed_at": AT,
        "version": COUNT,
        "seq": SEQ,
    },
    "sc_social": {
        "entry_seq": SEQ,
        "record_id": ID,
        "staff_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "kind": ENUM,
        "at": AT,
        "actor": LOGIN_SEALED,
        "platform": sealed(STAFF, "a platform or the platforms checked: free text"),
        "detail": sealed(STAFF, "a relationship, circumstances, a contact attempt or notes"),
        "advice": sealed(STAFF, "advice given, or the response to a contact attempt"),
        "decision": sealed(STAFF, "free text"),
        "outcome": ENUM,
        "contact_from": ENUM,
        "from_person_id": plain("the pupil's or parent's record id (a random uuid)"),
        "ended": FLAG,
    },
    "sc_staff": {
        "staff_id": ID,
        "reaches_pension_age_on": plain(
            "the date an allegation's retention may run to, keyed by a random uuid; compared in "
            "SQL for retainUntil"
        ),
        "left_on": AT,
    },
}
