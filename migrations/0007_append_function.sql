-- Appending events in one round trip. The writer takes the event table's EXCLUSIVE lock inside
-- the transaction, so positions commit in the order they are issued and a reader tailing the
-- log never passes a gap that fills later (the library's own database function omits the lock,
-- which is why its POSTGRES_ENABLE_DB_FUNCTIONS stays off). New data keys and sealed evidence
-- files are written in the same transaction as the events that refer to them.
CREATE FUNCTION casework_append(
    p_lock_timeout text,
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_subjects uuid[], p_keys bytea[],
    p_blob_ids uuid[], p_blob_owners uuid[], p_blobs bytea[]
) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    LOCK TABLE casework_events IN EXCLUSIVE MODE;
    NOTIFY casework_events;
    IF cardinality(p_key_subjects) > 0 THEN
        INSERT INTO data_keys (subject_id, wrapped_key) SELECT * FROM unnest(p_key_subjects, p_keys);
    END IF;
    IF cardinality(p_blob_ids) > 0 THEN
        INSERT INTO evidence_blobs (file_id, incident_id, sealed)
            SELECT * FROM unnest(p_blob_ids, p_blob_owners, p_blobs);
    END IF;
    RETURN QUERY
        INSERT INTO casework_events (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(p_ids, p_versions, p_topics, p_states)
        RETURNING notification_id;
END $$;
