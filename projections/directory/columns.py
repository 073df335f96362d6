"""The data map of the directory view (see ``projections.classification``)."""

from __future__ import annotations

from projections.classification import (
    AT,
    COUNT,
    ENUM,
    FLAG,
    ID,
    LOGIN_SEALED,
    ORGANISATION,
    SEQ,
    Table,
    blind_index,
    plain,
    sealed,
)

PUPIL = "the pupil's"
STAFF = "the staff member's"

TABLES: dict[str, Table] = {
    "dir_trusts": {"trust_id": ID, "name": ORGANISATION, "created_at": AT},
    "dir_schools": {
        "school_id": ID,
        "trust_id": ID,
        "name": ORGANISATION,
        "urn": plain("the school's Unique Reference Number, public in the national register"),
        "registered_at": AT,
        "seq": SEQ,
    },
    "dir_pupils": {
        "pupil_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "full_name": sealed(PUPIL, "a name"),
        "date_of_birth": sealed(PUPIL, "a date of birth"),
        "year_group": COUNT,
        "left_on": AT,
        "destination": sealed(PUPIL, "where the pupil went: free text"),
        "version": COUNT,
        "registered_at": AT,
        "seq": SEQ,
    },
    "dir_staff": {
        "staff_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "full_name": sealed(STAFF, "a name"),
        "staff_role": ENUM,
        "user_id": LOGIN_SEALED,
        "user_id_ix": blind_index("login", "a chronology names its actor from the directory"),
        "started_on": AT,
        "left_on": AT,
        "leaving_reason": sealed(STAFF, "free text"),
        "version": COUNT,
        "registered_at": AT,
        "seq": SEQ,
    },
    "dir_parents": {
        "parent_id": ID,
        "trust_id": ID,
        "school_id": ID,
        "full_name": sealed("the parent or carer's", "a name"),
        "version": COUNT,
        "seq": SEQ,
    },
    "dir_parent_links": {
        "parent_id": ID,
        "pupil_id": ID,
        "relationship": ENUM,
        "parental_responsibility": FLAG,
    },
}
