-- Evidence files: sealed with the incident's data key, written in the same transaction as the
-- EvidenceAttached event. Not a view: never truncated by a rebuild.
CREATE TABLE evidence_blobs (
    file_id uuid PRIMARY KEY,
    incident_id uuid NOT NULL,
    sealed bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER evidence_blobs_append_only
    BEFORE UPDATE OR DELETE ON evidence_blobs
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();

-- Read model: incidents, the people in them, their chronology, actions, evidence and links.
CREATE TABLE inc_incidents (
    incident_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid NOT NULL,
    status text NOT NULL,
    category text NOT NULL,
    risk text,
    meets_cp_threshold boolean,
    source text NOT NULL,
    platform text,
    on_site boolean NOT NULL,
    device text NOT NULL,
    occurred_at timestamptz NOT NULL,
    reported_at timestamptz NOT NULL,
    reported_by text NOT NULL,
    description bytea NOT NULL,
    staff_conduct boolean NOT NULL,
    triaged_at timestamptz,
    closed_at timestamptz,
    version int NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX inc_incidents_school ON inc_incidents (school_id, seq);
CREATE INDEX inc_incidents_school_status ON inc_incidents (school_id, status);
CREATE INDEX inc_incidents_school_occurred ON inc_incidents (school_id, occurred_at);
CREATE INDEX inc_incidents_trust ON inc_incidents (trust_id, occurred_at);
CREATE INDEX inc_incidents_reporter ON inc_incidents (reported_by, seq);

CREATE TABLE inc_people (
    incident_id uuid NOT NULL,
    person_id uuid NOT NULL,
    part text NOT NULL,
    PRIMARY KEY (incident_id, person_id)
);
CREATE INDEX inc_people_person ON inc_people (person_id, incident_id);

CREATE TABLE inc_chronology (
    entry_seq bigint PRIMARY KEY,
    incident_id uuid NOT NULL,
    school_id uuid NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    summary text NOT NULL,
    what bytea,
    decision bytea,
    rationale bytea
);
CREATE INDEX inc_chronology_incident ON inc_chronology (incident_id, entry_seq);

CREATE TABLE inc_actions (
    action_id uuid PRIMARY KEY,
    incident_id uuid NOT NULL,
    school_id uuid NOT NULL,
    kind text NOT NULL,
    planned boolean NOT NULL,
    due_on date,
    completed boolean NOT NULL DEFAULT false
);
CREATE INDEX inc_actions_due ON inc_actions (school_id, due_on) WHERE planned AND NOT completed;

CREATE TABLE inc_evidence (
    file_id uuid PRIMARY KEY,
    incident_id uuid NOT NULL,
    filename bytea NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    note bytea,
    attached_at timestamptz NOT NULL,
    attached_by text NOT NULL
);
CREATE INDEX inc_evidence_incident ON inc_evidence (incident_id);

CREATE TABLE inc_links (
    incident_id uuid NOT NULL,
    other_id uuid NOT NULL,
    PRIMARY KEY (incident_id, other_id)
);

CREATE TABLE inc_categories (
    trust_id uuid NOT NULL,
    code text NOT NULL,
    label text NOT NULL,
    PRIMARY KEY (trust_id, code)
);
