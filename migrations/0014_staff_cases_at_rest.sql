-- Nothing identifying in plaintext in the staff-cases view (issue 14 §2): agencies' references,
-- case-team responsibilities and social-media platforms are sealed with their record's key.
-- The view is emptied and its position reset, so the workers rebuild it from the events (the
-- events of before this change carry those values in plain: the view seals them as it reads).
TRUNCATE sc_allegations, sc_members, sc_entries, sc_case_links, sc_concerns, sc_social, sc_staff;
INSERT INTO projection_tracking (application_name, notification_id) VALUES ('staff_cases', 0)
    ON CONFLICT (application_name) DO UPDATE SET notification_id = 0;
DELETE FROM projection_status WHERE name = 'staff_cases';

-- A case's people: the case manager, whoever received it, and those added with a responsibility
-- in their own words (sealed).
ALTER TABLE sc_members ADD COLUMN part text NOT NULL,
    ALTER COLUMN responsibility TYPE bytea USING NULL, ALTER COLUMN responsibility DROP NOT NULL;

-- A reference (LADO, police, DBS) or a responsibility that the entry's summary quotes, sealed:
-- the summary itself holds no personal data, and names it as {detail}.
ALTER TABLE sc_entries ADD COLUMN detail bytea;

ALTER TABLE sc_social ALTER COLUMN platform TYPE bytea USING NULL;
