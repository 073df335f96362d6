"""The data map of the consent view (see ``projections.classification``).

Free text that names a family's paperwork, a channel or a post is sealed with its record's key
(the pupil's, the channel's, the publication's), so erasing the record erases it; logins are
sealed with their holder's own key. Only the posting check matches a login, on its blind index.
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
    plain,
    sealed,
)

PUPIL = "the pupil's"
CHANNEL = "the channel's"
PUBLICATION = "the publication's"
MEDIA = plain("the media shown (photo, video): an enumeration")

TABLES: dict[str, Table] = {
    "cs_pupils": {
        "pupil_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "year_group": COUNT,
        "left_on": AT,
        "lapses_at": AT,
        "first_received_at": AT,
        "last_received_at": AT,
        "competent": FLAG,
        "competence_assessed_at": AT,
        "competence_notes": sealed(PUPIL, "a competence assessment's notes: free text"),
        "seq": SEQ,
    },
    "cs_rulings": {
        "pupil_id": ID,
        "medium": ENUM,
        "channel": ENUM,
        "party": plain("whose decision: 'pupil' or 'parent:' and the parent or carer's id"),
        "effective_at": AT,
        "version": COUNT,
        "decision": ENUM,
        "kind": ENUM,
        "record_id": ID,
        "recorded_at": AT,
        "consenter_kind": ENUM,
        "parent_carer_id": ID,
        "method": ENUM,
        "reference": sealed(PUPIL, "the written decision's reference: free text"),
        "statement_version": sealed(PUPIL, "the consent statement shown: free text"),
        "recorded_by": LOGIN_SEALED,
    },
    "cs_confirmations": {
        "pupil_id": ID,
        "academic_year": plain("an academic year, e.g. 2026/27"),
        "confirmed_at": AT,
        "confirmed_by": LOGIN_SEALED,
    },
    "cs_channels": {
        "channel_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "kind": ENUM,
        "platform": sealed(CHANNEL, "the platform: free text"),
        "account_name": sealed(CHANNEL, "the account or page name: free text"),
        "master_administrator_id": ID,
        "purpose": sealed(CHANNEL, "the channel's purpose: free text"),
        "opened_on": AT,
        "closed_on": AT,
        "close_reason": sealed(CHANNEL, "why it closed: free text"),
        "risk_assessment_approved_by": sealed(CHANNEL, "the risk assessment's approver: a name"),
        "risk_assessment_approver": ENUM,
        "risk_assessment_approved_on": AT,
        "mfa_enabled": FLAG,
        "opened_by": LOGIN_SEALED,
        "version": COUNT,
        "seq": SEQ,
    },
    "cs_posters": {
        "channel_id": ID,
        "staff_member_id": ID,
        "user_id": LOGIN_SEALED,
        "user_id_ix": LOGIN_IX,
        "authorised_at": AT,
        "revoked_at": AT,
        "seq": SEQ,
    },
    "cs_publications": {
        "publication_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "channel_id": ID,
        "channel": ENUM,
        "posted_at": AT,
        "media": MEDIA,
        "identifiable": FLAG,
        "caption_names_anyone": FLAG,
        "posted_by": LOGIN_SEALED,
        "recorded_by": LOGIN_SEALED,
        "recorded_at": AT,
        "description": sealed(PUBLICATION, "what was posted: free text"),
        "link": sealed(PUBLICATION, "where it was posted: a link"),
        "needs_approval": FLAG,
        "approved_by": LOGIN_SEALED,
        "approved_at": AT,
        "removed": FLAG,
        "version": COUNT,
        "seq": SEQ,
    },
    "cs_publication_pupils": {"publication_id": ID, "pupil_id": ID},
    "cs_takedowns": {
        "publication_id": ID,
        "pupil_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "requested_at": AT,
        "withdrawal_received_at": AT,
        "outcome": ENUM,
        "reason": sealed(PUBLICATION, "why removal is not practicable: free text"),
        "done_at": AT,
        "done_by": LOGIN_SEALED,
        "seq": SEQ,
    },
}
