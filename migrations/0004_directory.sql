-- Read model: the directory. Personal fields stay sealed (bytea) and are opened at query time.
CREATE TABLE dir_trusts (
    trust_id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE dir_schools (
    school_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    name text NOT NULL,
    urn text NOT NULL,
    registered_at timestamptz NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX dir_schools_trust ON dir_schools (trust_id, seq);
CREATE TABLE dir_pupils (
    pupil_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    full_name bytea NOT NULL,
    date_of_birth bytea NOT NULL,
    year_group int NOT NULL,
    left_on date,
    destination bytea,
    version int NOT NULL,
    registered_at timestamptz NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX dir_pupils_school ON dir_pupils (school_id, seq);
CREATE TABLE dir_staff (
    staff_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    full_name bytea NOT NULL,
    staff_role text NOT NULL,
    user_id text,
    started_on date,
    left_on date,
    leaving_reason bytea,
    version int NOT NULL,
    registered_at timestamptz NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX dir_staff_school ON dir_staff (school_id, seq);
CREATE TABLE dir_parents (
    parent_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    full_name bytea NOT NULL,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE TABLE dir_parent_links (
    parent_id uuid NOT NULL,
    pupil_id uuid NOT NULL,
    relationship text NOT NULL,
    parental_responsibility boolean NOT NULL,
    PRIMARY KEY (parent_id, pupil_id)
);
CREATE INDEX dir_parent_links_pupil ON dir_parent_links (pupil_id);
