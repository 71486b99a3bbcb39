-- cutover store, schema version 10: a flag keeps the latest verdict of each named check (a
-- golden run, a CI job, a sign-off) as one JSON object by name, where it kept one golden run.
-- A row written before holds that run's object here still; it is read as the verdict "golden".

ALTER TABLE flags RENAME COLUMN golden TO verdicts;
