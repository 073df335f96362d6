-- Idempotency keys (Idempotency-Key header): a request's key is written in the same
-- transaction as the events its command recorded, so a retried request finds it and appends
-- nothing. Who asked and which key are blind indexes; the request is a keyed digest; the answer
-- is sealed with the caller's login's data key and kept once the request has finished.
CREATE TABLE idempotency_keys (
    user_ix bytea NOT NULL,
    key_ix bytea NOT NULL,
    request_ix bytea NOT NULL,
    position bigint,
    response bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_ix, key_ix)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- As migration 0007, and with the request's idempotency claim (all three NULL: none). Keys
-- expire after 24 hours: expired ones are removed here, before the claim is written; a claim
-- already written by another request fails the append with a unique violation on the key.
CREATE FUNCTION casework_append(
    p_lock_timeout text,
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_subjects uuid[], p_keys bytea[],
    p_blob_ids uuid[], p_blob_owners uuid[], p_blobs bytea[],
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
        INSERT INTO evidence_blobs (file_id, incident_id, sealed)
            SELECT * FROM unnest(p_blob_ids, p_blob_owners, p_blobs);
    END IF;
    WITH inserted AS (
        INSERT INTO casework_events (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(p_ids, p_versions, p_topics, p_states)
        RETURNING notification_id
    )
    SELECT array_agg(notification_id ORDER BY notification_id) INTO v_positions FROM inserted;
    IF p_key_ix IS NOT NULL THEN
        UPDATE idempotency_keys SET position = v_positions[cardinality(v_positions)]
            WHERE user_ix = p_user_ix AND key_ix = p_key_ix;
    END IF;
    RETURN QUERY SELECT unnest(v_positions);
END $$;

-- Without a claim, as before: migration 0007's signature, now this one with no claim.
CREATE OR REPLACE FUNCTION casework_append(
    p_lock_timeout text,
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[],
    p_key_subjects uuid[], p_keys bytea[],
    p_blob_ids uuid[], p_blob_owners uuid[], p_blobs bytea[]
) RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT casework_append(
        p_lock_timeout, p_ids, p_versions, p_topics, p_states, p_key_subjects, p_keys,
        p_blob_ids, p_blob_owners, p_blobs, NULL::bytea, NULL::bytea, NULL::bytea
    )
$$;
