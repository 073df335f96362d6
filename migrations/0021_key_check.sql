-- Proof that a process's keys are this store's (api/key_check.py): a constant encrypted with the
-- event-state key and one wrapped by the master key, written when the store is first initialised.
-- A process whose keys do not open both refuses to start, and /readyz reports it. Like the events,
-- the proof is never changed: keys are not rotated by overwriting it.
CREATE TABLE key_check (
    key_name text PRIMARY KEY CHECK (key_name IN ('event_key', 'master_key')),
    proof bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER key_check_append_only
    BEFORE UPDATE OR DELETE ON key_check
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();
