-- An erasure reaches every copy (docs/rules.md §9.5).
--
-- 1. Views purge their copies on Erasure.CarriedOut: a sealed value of a destroyed key and a
--    blind index of an erased login become NULL, so the columns that always held one may now
--    hold none (a NULL there reads as erased).
ALTER TABLE dir_pupils ALTER COLUMN full_name DROP NOT NULL;
ALTER TABLE dir_pupils ALTER COLUMN date_of_birth DROP NOT NULL;
ALTER TABLE dir_staff ALTER COLUMN full_name DROP NOT NULL;
ALTER TABLE dir_parents ALTER COLUMN full_name DROP NOT NULL;
ALTER TABLE access_grants ALTER COLUMN user_id_ix DROP NOT NULL;
ALTER TABLE access_log ALTER COLUMN user_id_ix DROP NOT NULL;
ALTER TABLE inc_incidents ALTER COLUMN reported_by_ix DROP NOT NULL;
ALTER TABLE inc_incidents ALTER COLUMN description DROP NOT NULL;
ALTER TABLE inc_chronology ALTER COLUMN actor_ix DROP NOT NULL;
ALTER TABLE inc_evidence ALTER COLUMN filename DROP NOT NULL;
ALTER TABLE sc_allegations ALTER COLUMN description DROP NOT NULL;
ALTER TABLE sc_allegation_evidence ALTER COLUMN filename DROP NOT NULL;
ALTER TABLE sc_concerns ALTER COLUMN details DROP NOT NULL;
ALTER TABLE sc_concerns ALTER COLUMN recipient_ix DROP NOT NULL;
ALTER TABLE cs_channels ALTER COLUMN purpose DROP NOT NULL;
ALTER TABLE cs_posters ALTER COLUMN user_id_ix DROP NOT NULL;

-- 2. The access log stays append-only, except that an erasure may take an erased reader's
--    login out of an entry (its sealed login and its blind index may become NULL; nothing
--    else may change), and the retention rule's purge of entries past their period may delete
--    them (it sets casework.access_log_purge for its own transaction: migration 0040). A row
--    trigger, to see what an update changes.
CREATE OR REPLACE FUNCTION casework_access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('casework.access_log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
        AND (NEW.user_id IS NULL OR NEW.user_id = OLD.user_id)
        AND (NEW.user_id_ix IS NULL OR NEW.user_id_ix = OLD.user_id_ix)
        AND (to_jsonb(NEW) - 'user_id' - 'user_id_ix') = (to_jsonb(OLD) - 'user_id' - 'user_id_ix')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS access_log_append_only ON access_log;
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION casework_access_log_guard();

-- 3. Evidence files stay append-only, except that a file whose key is destroyed is deleted
--    (its bytes are ciphertext nobody can open; nothing should keep them).
DROP TRIGGER IF EXISTS evidence_blobs_append_only ON evidence_blobs;
CREATE OR REPLACE FUNCTION casework_evidence_blobs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (
        SELECT 1 FROM data_keys
        WHERE subject_id = encode(substring(OLD.sealed FROM 2 FOR 16), 'hex')::uuid
          AND wrapped_key IS NOT NULL
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'evidence_blobs is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER evidence_blobs_append_only
    BEFORE UPDATE OR DELETE ON evidence_blobs
    FOR EACH ROW EXECUTE FUNCTION casework_evidence_blobs_guard();

-- 4. Destroying a data key, the moment it commits: every API process is told (its keyring
--    forgets the key, api/changes.py), and the copies sealed with it that no view owns go
--    too: evidence files, and the erased login's idempotency keys. Every other answer kept
--    for a retry is dropped as well (the claim stays, so a retry is still recorded once and
--    answered 409 IDEMPOTENT_REQUEST_UNFINISHED): it is sealed with its requester's key, but
--    may echo what the erased subject was.
CREATE OR REPLACE FUNCTION casework_key_destroyed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    subject bytea := decode(replace(OLD.subject_id::text, '-', ''), 'hex');
BEGIN
    PERFORM pg_notify('casework_erasure', OLD.subject_id::text);
    DELETE FROM evidence_blobs WHERE substring(sealed FROM 2 FOR 16) = subject;
    DELETE FROM idempotency_keys WHERE substring(response FROM 2 FOR 16) = subject;
    UPDATE idempotency_keys SET response = NULL WHERE response IS NOT NULL;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS casework_key_destroyed ON data_keys;
DROP TRIGGER IF EXISTS casework_key_deleted ON data_keys;
CREATE TRIGGER casework_key_destroyed
    AFTER UPDATE OF wrapped_key ON data_keys
    FOR EACH ROW WHEN (OLD.wrapped_key IS NOT NULL AND NEW.wrapped_key IS NULL)
    EXECUTE FUNCTION casework_key_destroyed();
CREATE TRIGGER casework_key_deleted
    AFTER DELETE ON data_keys
    FOR EACH ROW WHEN (OLD.wrapped_key IS NOT NULL)
    EXECUTE FUNCTION casework_key_destroyed();
