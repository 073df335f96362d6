-- Webhooks (projections/webhooks, docs/rules.md §14): endpoints, the changes feed, and the
-- durable outbox of deliveries with each attempt. Deliveries and the feed hold ids and kinds
-- only; an endpoint's secret is sealed with the endpoint's own key, its owner's login with the
-- owner's.
CREATE TABLE wh_endpoints (
    endpoint_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid,
    url text NOT NULL,
    kinds text[] NOT NULL,
    secret bytea,
    owner bytea,
    active boolean NOT NULL,
    registered_at timestamptz NOT NULL,
    changed_at timestamptz NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX wh_endpoints_scope ON wh_endpoints (trust_id, school_id) WHERE active;

CREATE TABLE wh_changes (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position bigint NOT NULL,
    kind text NOT NULL,
    record_id uuid NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid,
    action text NOT NULL,
    about uuid[] NOT NULL,
    subject_ix bytea,
    occurred_at timestamptz NOT NULL,
    UNIQUE (position, record_id)
);
CREATE INDEX wh_changes_school ON wh_changes (school_id, position, seq);

CREATE TABLE wh_deliveries (
    delivery_id uuid PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES wh_endpoints (endpoint_id),
    change_seq bigint NOT NULL REFERENCES wh_changes (seq),
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    round_start integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_status_code integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    UNIQUE (endpoint_id, change_seq)
);
CREATE INDEX wh_deliveries_due ON wh_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX wh_deliveries_endpoint ON wh_deliveries (endpoint_id, seq);

CREATE TABLE wh_attempts (
    delivery_id uuid NOT NULL REFERENCES wh_deliveries (delivery_id),
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('delivered', 'refused', 'timeout', 'unreachable')),
    status_code integer,
    duration_ms integer NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
