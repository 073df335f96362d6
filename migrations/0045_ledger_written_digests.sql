-- The writer computes each event's field digests for the ledger as it records the event, while
-- the values and their keys are at hand (domain/ledger/handlers.py, docs/rules.md §12.6), and
-- stores them here in the same transaction; the integrator makes the event's entry from them
-- without decrypting the event again, and deletes the row in the transaction that adds the
-- leaf. An event with no row here (recorded before this migration, or by a writer that leaves
-- the digests to the integrator) is decoded as before: the entry is the same bytes either way.
-- The row names its event's aggregate and version too: one that does not match the event at its
-- position is not used.
CREATE TABLE ledger_fields (
    position bigint PRIMARY KEY,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    recorded_at text NOT NULL,
    fields text NOT NULL
);

-- As migration 0033's, with the events' ledger fields (NULL for an event without them) before
-- the idempotency claim (NULL: none). The signatures of before remain, for appends without
-- fields: 0033's calls this one, and 0025's without a claim calls 0033's.
CREATE FUNCTION casework_append(
    p_lock_timeout text,
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_subjects uuid[], p_keys bytea[],
    p_blob_ids uuid[], p_blob_owners uuid[], p_blobs bytea[],
    p_recorded_at text[], p_fields text[],
    p_user_ix bytea, p_key_ix bytea, p_request_ix bytea
) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    v_positions bigint[];
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    LOCK TABLE casework_events IN EXCLUSIVE MODE;
    NOTIFY casework_events;
    IF p_key_ix IS NOT NULL THEN
        DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours';
        INSERT INTO idempotency_keys (user_ix, key_ix, request_ix)
            VALUES (p_user_ix, p_key_ix, p_request_ix);
    END IF;
    IF cardinality(p_key_subjects) > 0 THEN
        INSERT INTO data_keys (subject_id, wrapped_key) SELECT * FROM unnest(p_key_subjects, p_keys);
    END IF;
    IF cardinality(p_blob_ids) > 0 THEN
        INSERT INTO evidence_blobs (file_id, owner_id, sealed)
            SELECT * FROM unnest(p_blob_ids, p_blob_owners, p_blobs);
    END IF;
    WITH inserted AS (
        INSERT INTO casework_events (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(p_ids, p_versions, p_topics, p_states)
        RETURNING notification_id, originator_id, originator_version
    ), written AS (
        INSERT INTO ledger_fields (position, originator_id, originator_version, recorded_at, fields)
        SELECT i.notification_id, w.id, w.version, w.recorded_at, w.fields
        FROM inserted i
        JOIN unnest(p_ids, p_versions, p_recorded_at, p_fields)
            AS w (id, version, recorded_at, fields)
            ON w.id = i.originator_id AND w.version = i.originator_version
        WHERE w.fields IS NOT NULL
    )
    SELECT array_agg(notification_id ORDER BY notification_id) INTO v_positions FROM inserted;
    IF p_key_ix IS NOT NULL THEN
        UPDATE idempotency_keys SET position = v_positions[cardinality(v_positions)]
            WHERE user_ix = p_user_ix AND key_ix = p_key_ix;
    END IF;
    RETURN QUERY SELECT unnest(v_positions);
END $$;

CREATE OR REPLACE FUNCTION casework_append(
    p_lock_timeout text,
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_subjects uuid[], p_keys bytea[],
    p_blob_ids uuid[], p_blob_owners uuid[], p_blobs bytea[],
    p_user_ix bytea, p_key_ix bytea, p_request_ix bytea
) RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT casework_append(
        p_lock_timeout, p_ids, p_versions, p_topics, p_states, p_key_subjects, p_keys,
        p_blob_ids, p_blob_owners, p_blobs, NULL::text[], NULL::text[],
        p_user_ix, p_key_ix, p_request_ix
    )
$$;
