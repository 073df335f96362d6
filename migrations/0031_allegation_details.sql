-- What LADO referral forms ask for beyond an allegation's description (issue 18; docs/rules.md
-- §11). The free text (location, injury, who else was told) is sealed with the allegation's key,
-- as its description is; the two yes / no / not known answers are plain enumerations. Null until
-- recorded: events of before carry none, so the view needs no rebuild.
ALTER TABLE sc_allegations
    ADD COLUMN location bytea,
    ADD COLUMN more_than_one_incident text,
    ADD COLUMN after_physical_intervention text,
    ADD COLUMN injury bytea,
    ADD COLUMN others_told bytea;

-- The children an allegation concerns: pupils of its school (by their record's random id), each
-- the child it concerns, a witness or other, in the order named. An amendment replaces them all.
CREATE TABLE sc_allegation_children (
    allegation_id uuid NOT NULL,
    ordinal int NOT NULL,
    pupil_id uuid NOT NULL,
    relationship text NOT NULL,
    PRIMARY KEY (allegation_id, ordinal)
);
