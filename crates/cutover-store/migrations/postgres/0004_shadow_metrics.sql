-- cutover store, schema version 4 (PostgreSQL): what shadow runs of each flag found, per minute.

CREATE TABLE shadow_metrics (
    flag          TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    counts        TEXT NOT NULL,
    PRIMARY KEY (flag, window_start)
);
