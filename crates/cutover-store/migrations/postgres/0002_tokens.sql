-- cutover store, schema version 2 (PostgreSQL): API tokens. Only the SHA-256 of a secret is kept.

CREATE TABLE tokens (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'sdk')),
    hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);
