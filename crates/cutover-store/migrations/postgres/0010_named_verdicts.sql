-- cutover store, schema version 10: release gates. A flag keeps the latest verdict of each named
-- check (a golden run, a CI job, a sign-off) as one JSON object by name, where it kept one golden
-- run (a row written before holds that run's object here still; it is read as the verdict
-- "golden"); what entering each stage needs (JSON by stage); and when it entered its stage
-- (Unix milliseconds; NULL when not recorded).

ALTER TABLE flags RENAME COLUMN golden TO verdicts;
ALTER TABLE flags ADD COLUMN requires TEXT;
ALTER TABLE flags ADD COLUMN stage_since BIGINT;
