-- cutover store, schema version 3 (PostgreSQL): what each arm of each flag did, per minute.

CREATE TABLE arm_metrics (
    flag          TEXT NOT NULL,
    arm           TEXT NOT NULL CHECK (arm IN ('legacy', 'new')),
    window_start  BIGINT NOT NULL,
    calls         BIGINT NOT NULL CHECK (calls >= 0),
    errors        BIGINT NOT NULL CHECK (errors >= 0),
    fallbacks     BIGINT NOT NULL CHECK (fallbacks >= 0),
    retries       BIGINT NOT NULL CHECK (retries >= 0),
    latency       TEXT NOT NULL,
    PRIMARY KEY (flag, arm, window_start)
);
