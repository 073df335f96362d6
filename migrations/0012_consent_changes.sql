-- Tell every API process the moment the consent view changes what a posting check reads, so
-- that each may keep those reads between requests (api/consent_cache.py) and drop one as soon
-- as it is stale: a pupil's row or decisions ('pupil:<id>'), a channel or its posters
-- ('channel:<id>'), or everything ('*', when the view is emptied to be rebuilt). PostgreSQL
-- delivers a notice only if the transaction commits, once per distinct payload.
CREATE FUNCTION casework_consent_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('casework_consent', '*');
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_TABLE_NAME IN ('cs_pupils', 'cs_rulings') THEN
        PERFORM pg_notify('casework_consent', 'pupil:' || changed.pupil_id::text);
    ELSE
        PERFORM pg_notify('casework_consent', 'channel:' || changed.channel_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER casework_consent_pupils AFTER INSERT OR UPDATE OR DELETE ON cs_pupils
    FOR EACH ROW EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_rulings AFTER INSERT OR UPDATE OR DELETE ON cs_rulings
    FOR EACH ROW EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_channels AFTER INSERT OR UPDATE OR DELETE ON cs_channels
    FOR EACH ROW EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_posters AFTER INSERT OR UPDATE OR DELETE ON cs_posters
    FOR EACH ROW EXECUTE FUNCTION casework_consent_changed();

CREATE TRIGGER casework_consent_pupils_emptied AFTER TRUNCATE ON cs_pupils
    FOR EACH STATEMENT EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_rulings_emptied AFTER TRUNCATE ON cs_rulings
    FOR EACH STATEMENT EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_channels_emptied AFTER TRUNCATE ON cs_channels
    FOR EACH STATEMENT EXECUTE FUNCTION casework_consent_changed();
CREATE TRIGGER casework_consent_posters_emptied AFTER TRUNCATE ON cs_posters
    FOR EACH STATEMENT EXECUTE FUNCTION casework_consent_changed();
