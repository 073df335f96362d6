-- An allegation's supporting documents (docs/rules.md §11: LADO referral forms ask for them),
-- kept as an incident's evidence is. Their sealed bytes share the blob store with incidents'
-- evidence, each sealed with its own record's data key, so the store's owner column now names
-- either record; appending is as migration 0025, with the column's new name. No event of before
-- attaches a document to an allegation, so the view needs no rebuild.
ALTER TABLE evidence_blobs RENAME COLUMN incident_id TO owner_id;

CREATE OR REPLACE FUNCTION casework_append(
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
        INSERT INTO evidence_blobs (file_id, owner_id, sealed)
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

-- The view of an allegation's documents: the name, note and fingerprint sealed with the
-- allegation's key (the fingerprint too: with a copy of a file, a plain hash would tell which
-- allegation holds it, even after the allegation is erased), who attached it sealed with their
-- login's.
CREATE TABLE sc_allegation_evidence (
    file_id uuid PRIMARY KEY,
    allegation_id uuid NOT NULL,
    filename bytea NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 bytea,
    note bytea,
    attached_at timestamptz NOT NULL,
    attached_by bytea
);
CREATE INDEX sc_allegation_evidence_allegation ON sc_allegation_evidence (allegation_id, attached_at);
