-- Nothing identifying in plaintext in the consent view (issue 14 §2). Free text that names a
-- family's paperwork, a channel or a post (a consent form's reference, the statement shown, a
-- platform, an account, a risk assessment's approver, a link) is stored sealed with its
-- record's key: the pupil's, the channel's, the publication's. A login is stored sealed with
-- its holder's own key; where the view must match one (the posting check's "is the caller a
-- poster on this channel"), also as a keyed blind index, `<name>_ix`. A sealed column is null
-- once its subject's key is gone before the view sealed the value (a rebuild after an erasure).
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
    DROP COLUMN recorded_by,
    ADD COLUMN reference bytea,
    ADD COLUMN statement_version bytea,
    ADD COLUMN recorded_by bytea;

ALTER TABLE cs_confirmations
    DROP COLUMN confirmed_by,
    ADD COLUMN confirmed_by bytea;

ALTER TABLE cs_channels
    DROP COLUMN platform,
    DROP COLUMN account_name,
    DROP COLUMN risk_assessment_approved_by,
    DROP COLUMN opened_by,
    ADD COLUMN platform bytea,
    ADD COLUMN account_name bytea,
    ADD COLUMN risk_assessment_approved_by bytea,
    ADD COLUMN opened_by bytea;

-- The posting check's match stays one indexed equality: on the blind index of the caller's
-- login, as it was on the login itself.
DROP INDEX cs_posters_user;
ALTER TABLE cs_posters
    DROP COLUMN user_id,
    ADD COLUMN user_id bytea,
    ADD COLUMN user_id_ix bytea NOT NULL;
CREATE INDEX cs_posters_user ON cs_posters (user_id_ix, channel_id);

ALTER TABLE cs_publications
    DROP COLUMN posted_by,
    DROP COLUMN recorded_by,
    DROP COLUMN link,
    DROP COLUMN approved_by,
    ADD COLUMN posted_by bytea,
    ADD COLUMN recorded_by bytea,
    ADD COLUMN link bytea,
    ADD COLUMN approved_by bytea;

ALTER TABLE cs_takedowns
    DROP COLUMN done_by,
    ADD COLUMN done_by bytea;
