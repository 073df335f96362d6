-- Nothing identifying in plaintext at rest (issue 14 §2), for the directory, access and
-- incidents tables. A login is stored sealed with its holder's own data key (to show it) and,
-- where a view matches on it, as a keyed blind index `<name>_ix` (bytea). An incident's platform
-- (free text) and an evidence file's SHA-256 are sealed with the incident's key, the platform
-- blind-indexed within its trust for the pattern flags; chronology summaries no longer quote
-- free text.
--
-- The three views are emptied and their positions reset: they rebuild from the events, which
-- hold what the new columns need. The access log is not a view: migration step
-- `seal_access_log_logins` (api/migrate.py) seals the logins already in it, with the keys, in
-- this migration's transaction, then drops the plaintext column.

TRUNCATE dir_trusts, dir_schools, dir_pupils, dir_staff, dir_parents, dir_parent_links,
    access_grants,
    inc_incidents, inc_people, inc_chronology, inc_actions, inc_evidence, inc_links, inc_categories;
UPDATE projection_tracking SET notification_id = 0
    WHERE application_name IN ('directory', 'access', 'incidents');
DELETE FROM projection_status WHERE name IN ('directory', 'access', 'incidents');

-- The directory: a staff member's login (dir_staff_user of migration 0008 goes with it).
ALTER TABLE dir_staff DROP COLUMN user_id;
ALTER TABLE dir_staff ADD COLUMN user_id bytea, ADD COLUMN user_id_ix bytea;
CREATE INDEX dir_staff_user ON dir_staff (school_id, user_id_ix) WHERE user_id_ix IS NOT NULL;

-- Role grants: the grantee (matched), who granted and who revoked (shown).
ALTER TABLE access_grants DROP COLUMN user_id, DROP COLUMN granted_by, DROP COLUMN revoked_by;
ALTER TABLE access_grants
    ADD COLUMN user_id bytea,
    ADD COLUMN user_id_ix bytea NOT NULL,
    ADD COLUMN granted_by bytea,
    ADD COLUMN revoked_by bytea;
CREATE INDEX access_grants_user ON access_grants (user_id_ix);

-- Incidents: the reporter (matched by myReports), the platform (grouped by the pattern flags).
ALTER TABLE inc_incidents DROP COLUMN reported_by, DROP COLUMN platform;
ALTER TABLE inc_incidents
    ADD COLUMN reported_by bytea,
    ADD COLUMN reported_by_ix bytea NOT NULL,
    ADD COLUMN platform bytea,
    ADD COLUMN platform_ix bytea;
CREATE INDEX inc_incidents_reporter ON inc_incidents (reported_by_ix, seq);

-- The chronology's actor (matched against the directory and the grants held at the time).
ALTER TABLE inc_chronology DROP COLUMN actor;
ALTER TABLE inc_chronology ADD COLUMN actor bytea, ADD COLUMN actor_ix bytea NOT NULL;

-- Evidence: who attached it, and the file's fingerprint.
ALTER TABLE inc_evidence DROP COLUMN attached_by, DROP COLUMN sha256;
ALTER TABLE inc_evidence ADD COLUMN attached_by bytea, ADD COLUMN sha256 bytea;

-- The access log: the reader's login, sealed and blind-indexed (the DPO filters by it). The
-- plaintext column stays only until this migration's keyed step has sealed its rows.
ALTER TABLE access_log RENAME COLUMN user_id TO login_before_0013;
ALTER TABLE access_log ALTER COLUMN login_before_0013 DROP NOT NULL;
ALTER TABLE access_log ADD COLUMN user_id bytea, ADD COLUMN user_id_ix bytea;
