-- Read model: retention (docs/rules.md §9). A trust's configured rules, the DPO's review
-- decisions, and legal holds. The facts each rule needs (dates of birth, leaving dates,
-- outcomes) are read from the other views when the schedule is asked for; nothing here holds a
-- date of birth or a date derived from one. Free text is sealed: a configuration's reason with
-- the configuration's key, a review's with the reviewed record's, a hold's with the hold's own.
CREATE TABLE ret_config (
    trust_id uuid NOT NULL,
    rule text NOT NULL,
    value int NOT NULL,
    reason bytea NOT NULL,
    configured_at timestamptz NOT NULL,
    configured_by bytea,
    seq bigint NOT NULL,
    PRIMARY KEY (trust_id, rule)
);

CREATE TABLE ret_reviews (
    record_id uuid PRIMARY KEY,
    record_type text NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid,
    decision text NOT NULL,
    keep_until date,
    reason bytea NOT NULL,
    decided_at timestamptz NOT NULL,
    decided_by bytea,
    seq bigint NOT NULL
);
CREATE INDEX ret_reviews_trust ON ret_reviews (trust_id);

CREATE TABLE ret_holds (
    hold_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid,
    scope text NOT NULL,
    target_id uuid NOT NULL,
    authority text NOT NULL,
    about uuid[] NOT NULL,
    reason bytea NOT NULL,
    placed_at timestamptz NOT NULL,
    placed_by bytea,
    lifted_at timestamptz,
    lifted_by bytea,
    lift_reason bytea,
    seq bigint NOT NULL
);
CREATE INDEX ret_holds_trust ON ret_holds (trust_id, seq);
CREATE INDEX ret_holds_target ON ret_holds (target_id) WHERE lifted_at IS NULL;
