-- cutover store, schema version 11: the environment variables a flag declares by their own names
-- (env, env_mode, env_percent, env_stage), as one JSON object; NULL when it declares none.

ALTER TABLE flags ADD COLUMN env_names TEXT;
