-- Bookkeeping that keeps the facts fresh without operator action.
-- dirty_days: one row per (scope, day) holding the newest time something touched it.
-- day_builds: when each (scope, day) was last rebuilt; a day is pending while its newest mark
-- is later than the start of its last build (a build sees every event inserted before it started).

CREATE TABLE IF NOT EXISTS dirty_days
(
    scope     LowCardinality(String),
    day       Date,
    marked_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(marked_at)
ORDER BY (scope, day);

CREATE TABLE IF NOT EXISTS day_builds
(
    scope       LowCardinality(String),
    day         Date,
    started_at  DateTime64(6, 'UTC'),
    finished_at DateTime64(6, 'UTC'),
    rows        UInt64,
    duration_ms UInt32
)
ENGINE = ReplacingMergeTree(started_at)
ORDER BY (scope, day);

CREATE TABLE IF NOT EXISTS pipeline_state
(
    name       String,
    value      String,
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;
