-- Nothing identifying in plaintext in the staff-cases view (issue 14 §2). Logins are sealed with
-- their holder's own key, and where the view must match one ("is the reader the subject, on the
-- case, its recipient?") it keeps the login's keyed blind index (<name>_ix) instead. Agencies'
-- references, case-team responsibilities and social-media platforms are sealed with their
-- record's key. Classified column by column in projections/staff_cases/columns.py.
--
-- The view is emptied and its position reset, so the workers rebuild it from the events (events
-- of before this change carry those values in plain: the view seals them as it reads).
TRUNCATE sc_allegations, sc_members, sc_entries, sc_case_links, sc_concerns, sc_social, sc_staff;
INSERT INTO projection_tracking (application_name, notification_id) VALUES ('staff_cases', 0)
    ON CONFLICT (application_name) DO UPDATE SET notification_id = 0;
DELETE FROM projection_status WHERE name = 'staff_cases';

-- A sealed login is null once its holder's key is destroyed (the login is erased).
ALTER TABLE sc_allegations DROP COLUMN subject_user_id,
    ADD COLUMN subject_user_ix bytea,
    ALTER COLUMN received_by TYPE bytea USING NULL, ALTER COLUMN received_by DROP NOT NULL,
    ALTER COLUMN case_manager TYPE bytea USING NULL, ALTER COLUMN case_manager DROP NOT NULL;

-- A case's people: the case manager, whoever received it, and those added with a responsibility
-- in the manager's words (sealed with the allegation's key).
DROP TABLE sc_members;
CREATE TABLE sc_members (
    allegation_id uuid NOT NULL,
    user_ix bytea NOT NULL,
    user_id bytea,
    part text NOT NULL,
    responsibility bytea,
    PRIMARY KEY (allegation_id, user_ix)
);
CREATE INDEX sc_members_user ON sc_members (user_ix, allegation_id);

-- The summary holds no personal data: {named} stands for the login it names (sealed in `named`)
-- and {detail} for a reference or responsibility it quotes (sealed in `detail`).
ALTER TABLE sc_entries ALTER COLUMN actor TYPE bytea USING NULL,
    ALTER COLUMN actor DROP NOT NULL,
    ADD COLUMN named bytea,
    ADD COLUMN detail bytea;

ALTER TABLE sc_concerns DROP COLUMN subject_user_id,
    ADD COLUMN subject_user_ix bytea,
    ALTER COLUMN raised_by TYPE bytea USING NULL, ALTER COLUMN raised_by DROP NOT NULL,
    ALTER COLUMN recipient TYPE bytea USING NULL, ALTER COLUMN recipient DROP NOT NULL,
    ADD COLUMN recipient_ix bytea NOT NULL;
DROP INDEX sc_concerns_recipient;
CREATE INDEX sc_concerns_recipient ON sc_concerns (recipient_ix);

ALTER TABLE sc_social ALTER COLUMN actor TYPE bytea USING NULL,
    ALTER COLUMN actor DROP NOT NULL,
    ALTER COLUMN platform TYPE bytea USING NULL;
