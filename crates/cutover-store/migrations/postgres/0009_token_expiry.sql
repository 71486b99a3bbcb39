-- cutover store, schema version 9: tokens may expire (Unix milliseconds; NULL never expires).
-- An expired token no longer authenticates and its change streams end.

ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
