-- cutover store, schema version 5 (PostgreSQL): guarded rollouts; see the SQLite twin.

ALTER TABLE flags ADD COLUMN rollout_plan TEXT;
ALTER TABLE flags ADD COLUMN rollout_run TEXT;
ALTER TABLE flags ADD COLUMN golden TEXT;

CREATE TABLE guard_history (
    id          BIGSERIAL PRIMARY KEY,
    flag        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    step        BIGINT NOT NULL,
    rollout_bps BIGINT NOT NULL,
    action      TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    assessment  TEXT NOT NULL
);

CREATE INDEX guard_history_by_flag ON guard_history (flag, id);
