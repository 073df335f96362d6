-- The access log records refused attempts as well as reads (outcome), and the people each entry
-- is about (subject_ids), so that nobody is shown an entry about a record of which they are the
-- subject: not a read of it, not a refusal, not their own attempt.
ALTER TABLE access_log
    ADD COLUMN outcome text NOT NULL DEFAULT 'read' CHECK (outcome IN ('read', 'refused')),
    ADD COLUMN subject_ids uuid[] NOT NULL DEFAULT '{}';

-- Entries written before this migration name only their record: give those about cases their
-- people, from the views they were read from (a person's own record is matched by its id). The log stays append-only for everyone else; this one backfill runs
-- inside the migration's own transaction.
ALTER TABLE access_log DISABLE TRIGGER access_log_append_only;

UPDATE access_log l SET subject_ids = ARRAY[a.subject_id]
FROM sc_allegations a
WHERE l.record_type = 'allegation' AND a.allegation_id = l.record_id;

UPDATE access_log l SET subject_ids = ARRAY[c.subject_id]
FROM sc_concerns c
WHERE l.record_type = 'low_level_concern' AND c.concern_id = l.record_id;

UPDATE access_log l SET subject_ids = p.people
FROM (SELECT incident_id, array_agg(person_id) AS people FROM inc_people GROUP BY incident_id) p
WHERE l.record_type = 'incident' AND p.incident_id = l.record_id;

UPDATE access_log l SET subject_ids = p.people
FROM inc_evidence e
JOIN (SELECT incident_id, array_agg(person_id) AS people FROM inc_people GROUP BY incident_id) p
    ON p.incident_id = e.incident_id
WHERE l.record_type = 'evidence' AND e.file_id = l.record_id;

ALTER TABLE access_log ENABLE TRIGGER access_log_append_only;

CREATE INDEX access_log_subjects ON access_log USING gin (subject_ids);
