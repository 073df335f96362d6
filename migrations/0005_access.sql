-- Read model: role grants, with when and by whom each was granted and revoked.
CREATE TABLE access_grants (
    grant_seq bigint PRIMARY KEY,
    user_id text NOT NULL,
    role text NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid,
    granted_at timestamptz NOT NULL,
    granted_by text NOT NULL,
    revoked_at timestamptz,
    revoked_by text
);
CREATE INDEX access_grants_user ON access_grants (user_id);
CREATE INDEX access_grants_scope ON access_grants (trust_id, school_id);

-- The access log: every read of a restricted record. Append-only; nobody alters it through the API
-- and the database refuses updates and deletes.
CREATE TABLE access_log (
    entry_id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    user_id text NOT NULL,
    action text NOT NULL,
    record_type text NOT NULL,
    record_id uuid NOT NULL,
    trust_id uuid NOT NULL,
    school_id uuid
);
CREATE INDEX access_log_scope ON access_log (trust_id, school_id, entry_id);
CREATE INDEX access_log_record ON access_log (record_id, entry_id);
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();
