-- Read model of erasures (projections/erasure): what was asked, by whom, who approved, and the
-- LADO exports already sent that no erasure can recall. Logins sealed with their holders' keys,
-- the reason and the recipients with the erasure's own key.
CREATE TABLE er_erasures (
    erasure_id uuid PRIMARY KEY,
    trust_id uuid NOT NULL,
    school_id uuid,
    status text NOT NULL CHECK (status IN ('requested', 'carried_out', 'cancelled')),
    records jsonb NOT NULL,
    about uuid[] NOT NULL,
    key_count integer NOT NULL,
    reason bytea NOT NULL,
    requested_by bytea,
    requested_at timestamptz NOT NULL,
    settled_by bytea,
    settled_at timestamptz,
    settled_reason bytea,
    seq bigint NOT NULL
);
CREATE INDEX er_erasures_scope ON er_erasures (trust_id, seq);

CREATE TABLE er_exports (
    erasure_id uuid NOT NULL REFERENCES er_erasures (erasure_id),
    export_id uuid NOT NULL,
    allegation_id uuid NOT NULL,
    exported_at timestamptz NOT NULL,
    fingerprint text NOT NULL,
    recipient bytea,
    PRIMARY KEY (erasure_id, export_id)
);

-- The access log is append-only, except for the retention rule's purge of entries past their
-- period (api/erasure.py), which sets casework.access_log_purge for its own transaction.
CREATE OR REPLACE FUNCTION casework_access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('casework.access_log_purge', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER access_log_append_only ON access_log;
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION casework_access_log_guard();
