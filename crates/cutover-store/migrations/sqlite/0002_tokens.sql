-- cutover store, schema version 2 (SQLite): API tokens. Only the SHA-256 of a secret is kept.

CREATE TABLE tokens (
    name        TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'sdk')),
    hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
) STRICT;
