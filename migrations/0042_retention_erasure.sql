-- A review's reason is sealed with the reviewed record's key: when the record is erased, the
-- retention view empties it (projections/retention/projection.py), keeping the decision's
-- skeleton (what was decided, when).
ALTER TABLE ret_reviews ALTER COLUMN reason DROP NOT NULL;
