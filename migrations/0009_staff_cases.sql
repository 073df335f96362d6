-- Read model for KCSIE Part four: allegations against staff, low-level concerns, and staff
-- social-media records. Sealed columns hold ciphertext; the API opens what a reader may see.
CREATE TABLE sc_allegations (
    allegation_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    subject_user_id text,
    status text NOT NULL,
    received_at timestamptz NOT NULL,
    received_by text NOT NULL,
    source text NOT NULL,
    received_via text NOT NULL,
    category text,
    description bytea NOT NULL,
    harmed_child boolean NOT NULL,
    possible_offence boolean NOT NULL,
    risk_of_harm boolean NOT NULL,
    unsuitable boolean NOT NULL,
    outside_work boolean NOT NULL,
    case_manager text NOT NULL,
    case_manager_basis text NOT NULL,
    lado_due_on date NOT NULL,
    lado_consulted_at timestamptz,
    suspension_decision text,
    outcome text,
    outcome_at timestamptz,
    outcome_summary bytea,
    reference_will_cite boolean,
    reference_declaration bytea,
    retention_consent boolean NOT NULL DEFAULT false,
    lessons_learnt_at timestamptz,
    closed_at timestamptz,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX sc_allegations_school ON sc_allegations (school_id, seq);
CREATE INDEX sc_allegations_trust ON sc_allegations (trust_id, seq);
CREATE INDEX sc_allegations_subject ON sc_allegations (subject_id, seq);
CREATE INDEX sc_allegations_lado_due ON sc_allegations (lado_due_on)
    WHERE lado_consulted_at IS NULL AND status = 'open';

-- Who may read an allegation besides the trust safeguarding lead: case manager and team.
CREATE TABLE sc_members (
    allegation_id uuid NOT NULL,
    user_id text NOT NULL,
    responsibility text NOT NULL,
    PRIMARY KEY (allegation_id, user_id)
);
CREATE INDEX sc_members_user ON sc_members (user_id, allegation_id);

-- Each case's chronology (allegations and low-level concerns).
CREATE TABLE sc_entries (
    entry_seq bigint PRIMARY KEY,
    case_id uuid NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    summary text NOT NULL,
    what bytea,
    decision bytea,
    rationale bytea
);
CREATE INDEX sc_entries_case ON sc_entries (case_id, entry_seq);

-- Low-level concerns escalated into an allegation, both ways.
CREATE TABLE sc_case_links (
    allegation_id uuid NOT NULL,
    concern_id uuid NOT NULL,
    PRIMARY KEY (allegation_id, concern_id)
);
CREATE INDEX sc_case_links_concern ON sc_case_links (concern_id);

CREATE TABLE sc_concerns (
    concern_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    subject_user_id text,
    raised_by text NOT NULL,
    raised_at timestamptz NOT NULL,
    occurred_on date,
    self_reported boolean NOT NULL,
    withhold_name boolean NOT NULL,
    details bytea NOT NULL,
    context bytea,
    recipient text NOT NULL,
    recipient_basis text NOT NULL,
    screened_as_allegation boolean NOT NULL,
    status text NOT NULL,
    reviewed_at timestamptz,
    action_taken bytea,
    rationale bytea,
    escalated_to uuid,
    closed_at timestamptz,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX sc_concerns_school ON sc_concerns (school_id, seq);
CREATE INDEX sc_concerns_trust ON sc_concerns (trust_id, seq);
CREATE INDEX sc_concerns_subject ON sc_concerns (subject_id, raised_at);
CREATE INDEX sc_concerns_recipient ON sc_concerns (recipient);

-- Staff social media: declarations and their updates and advice, contact attempts, checks.
CREATE TABLE sc_social (
    entry_seq bigint PRIMARY KEY,
    record_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    platform text,
    detail bytea,
    advice bytea,
    decision bytea,
    outcome text,
    contact_from text,
    from_person_id uuid,
    ended boolean NOT NULL DEFAULT false
);
CREATE INDEX sc_social_staff ON sc_social (staff_id, entry_seq);
CREATE INDEX sc_social_record ON sc_social (record_id, entry_seq);

-- What retention needs to know about each member of staff.
CREATE TABLE sc_staff (
    staff_id uuid PRIMARY KEY,
    reaches_pension_age_on date,
    left_on date
);
