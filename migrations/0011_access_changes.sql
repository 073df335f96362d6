-- Tell every API process the moment anyone's grants or links change, so that each may keep
-- principals between requests (api/principals.py) and drop one as soon as it is stale. A row
-- trigger rather than a change to casework_append: whatever appends the event, the notice
-- follows, and PostgreSQL delivers it only if the transaction commits.
CREATE FUNCTION casework_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casework_access', NEW.originator_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER casework_access_changed
    AFTER INSERT ON casework_events
    FOR EACH ROW
    WHEN (NEW.topic LIKE 'domain.access.aggregates:UserAccess.%')
    EXECUTE FUNCTION casework_access_changed();
