-- Per-subject data keys, wrapped by the master key. Destroying a key (wrapped_key NULL) erases
-- every sealed field of that subject: crypto-shredding. Rows are written in the same transaction
-- as the first events that use them.
CREATE TABLE data_keys (
    subject_id uuid PRIMARY KEY,
    wrapped_key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
