-- The event store: the eventsourcing library's PostgreSQL application recorder tables, created here
-- rather than by the library (its CREATE_TABLE is off) so that schema changes are reviewed.
-- One table, one global order (notification_id). Event state is AES-GCM encrypted by the library.
CREATE TABLE IF NOT EXISTS casework_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);
CREATE UNIQUE INDEX IF NOT EXISTS casework_events_notification_id_idx
    ON casework_events (notification_id ASC);
DO $$ BEGIN
    CREATE TYPE stored_event_uuid AS (
        originator_id uuid, originator_version bigint, topic text, state bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Events are immutable: corrections, withdrawals and erasures are new events.
CREATE OR REPLACE FUNCTION casework_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER casework_events_append_only
    BEFORE UPDATE OR DELETE ON casework_events
    FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_change();
