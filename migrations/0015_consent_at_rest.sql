-- Nothing identifying in plaintext in the consent view (issue 14 §2). Free text that names a
-- family's paperwork, a channel or a post (a consent form's reference, the statement shown, a
-- platform, an account, a risk assessment's approver, a link) is stored sealed with its
-- record's key: the pupil's, the channel's, the publication's.
--
-- The view is emptied and its position reset in the same transaction, so the projection
-- rebuilds it from the events in the new shape (emptying it also tells every API process to
-- drop the posting check's kept reads: migration 0012). Events recorded before the domain
-- sealed these fields carry them in plain; the projection seals them as it replays them.
TRUNCATE cs_pupils, cs_rulings, cs_confirmations, cs_channels, cs_posters, cs_publications,
    cs_publication_pupils, cs_takedowns;
UPDATE projection_tracking SET notification_id = 0 WHERE application_name = 'consent';
DELETE FROM projection_status WHERE name = 'consent';

ALTER TABLE cs_rulings
    DROP COLUMN reference,
    DROP COLUMN statement_version,
    ADD COLUMN reference bytea NOT NULL,
    ADD COLUMN statement_version bytea;

ALTER TABLE cs_channels
    DROP COLUMN platform,
    DROP COLUMN account_name,
    DROP COLUMN risk_assessment_approved_by,
    ADD COLUMN platform bytea NOT NULL,
    ADD COLUMN account_name bytea NOT NULL,
    ADD COLUMN risk_assessment_approved_by bytea NOT NULL;

ALTER TABLE cs_publications
    DROP COLUMN link,
    ADD COLUMN link bytea;
