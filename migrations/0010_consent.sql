-- Read model for image and video consent, official channels, publications and takedowns.
-- Every decision is kept with the instant it takes effect from, so answers "as at" any instant
-- are computed from rows, never from a current-state column that could be overwritten.
CREATE TABLE cs_pupils (
    pupil_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    year_group int NOT NULL,
    left_on date,
    lapses_at timestamptz,
    first_received_at timestamptz,
    last_received_at timestamptz,
    competent boolean,
    competence_assessed_at timestamptz,
    competence_notes bytea,
    seq bigint NOT NULL
);
CREATE INDEX cs_pupils_school ON cs_pupils (school_id, seq);

CREATE TABLE cs_rulings (
    pupil_id uuid NOT NULL,
    medium text NOT NULL,
    channel text NOT NULL,
    party text NOT NULL,
    effective_at timestamptz NOT NULL,
    version int NOT NULL,
    decision text NOT NULL,
    kind text NOT NULL,
    record_id uuid NOT NULL,
    recorded_at timestamptz NOT NULL,
    consenter_kind text NOT NULL,
    parent_carer_id uuid,
    method text NOT NULL,
    reference text NOT NULL,
    statement_version text,
    recorded_by text NOT NULL,
    PRIMARY KEY (pupil_id, medium, channel, party, effective_at, version)
);

CREATE TABLE cs_confirmations (
    pupil_id uuid NOT NULL,
    academic_year text NOT NULL,
    confirmed_at timestamptz NOT NULL,
    confirmed_by text NOT NULL,
    PRIMARY KEY (pupil_id, academic_year)
);

CREATE TABLE cs_channels (
    channel_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    kind text NOT NULL,
    platform text NOT NULL,
    account_name text NOT NULL,
    master_administrator_id uuid NOT NULL,
    purpose bytea NOT NULL,
    opened_on date NOT NULL,
    closed_on date,
    close_reason bytea,
    risk_assessment_approved_by text NOT NULL,
    risk_assessment_approver text NOT NULL,
    risk_assessment_approved_on date NOT NULL,
    mfa_enabled boolean NOT NULL,
    opened_by text NOT NULL,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX cs_channels_school ON cs_channels (school_id, seq);

CREATE TABLE cs_posters (
    channel_id uuid NOT NULL,
    staff_member_id uuid NOT NULL,
    user_id text NOT NULL,
    authorised_at timestamptz NOT NULL,
    revoked_at timestamptz,
    seq bigint NOT NULL,
    PRIMARY KEY (channel_id, seq)
);
CREATE INDEX cs_posters_user ON cs_posters (user_id, channel_id);

CREATE TABLE cs_publications (
    publication_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    channel text NOT NULL,
    posted_at timestamptz NOT NULL,
    media text[] NOT NULL,
    identifiable boolean NOT NULL,
    caption_names_anyone boolean NOT NULL,
    posted_by text NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    description bytea,
    link text,
    needs_approval boolean NOT NULL,
    approved_by text,
    approved_at timestamptz,
    removed boolean NOT NULL DEFAULT false,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX cs_publications_school ON cs_publications (school_id, seq);
CREATE INDEX cs_publications_channel ON cs_publications (channel_id, seq);

CREATE TABLE cs_publication_pupils (
    publication_id uuid NOT NULL,
    pupil_id uuid NOT NULL,
    PRIMARY KEY (publication_id, pupil_id)
);
CREATE INDEX cs_publication_pupils_pupil ON cs_publication_pupils (pupil_id);

CREATE TABLE cs_takedowns (
    publication_id uuid NOT NULL,
    pupil_id uuid NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    requested_at timestamptz NOT NULL,
    withdrawal_received_at timestamptz NOT NULL,
    outcome text,
    reason bytea,
    done_at timestamptz,
    done_by text,
    seq bigint NOT NULL,
    PRIMARY KEY (publication_id, seq)
);
CREATE INDEX cs_takedowns_open ON cs_takedowns (school_id, seq) WHERE outcome IS NULL;
