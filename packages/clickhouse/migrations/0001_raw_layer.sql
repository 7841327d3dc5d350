-- Raw layer: what the ingest worker lands. Re-inserting the same event (duplicate delivery,
-- crash before commit, replay) writes an identical row under the same sorting key, which the
-- ReplacingMergeTree collapses; readers that need exact counts use FINAL or argMax.

CREATE TABLE IF NOT EXISTS notification_events
(
    event_id          UUID,
    notification_id   UUID,
    service_id        UUID,
    template_id       Nullable(UUID),
    job_id            Nullable(UUID),
    notification_type LowCardinality(String),
    key_type          LowCardinality(String),
    status            LowCardinality(String),
    status_rank       UInt8,
    created_at        DateTime64(6, 'UTC'),
    created_day       Date,
    updated_at        DateTime64(6, 'UTC'),
    billable_units    UInt32,
    rate_multiplier   Nullable(UInt32),
    international     Nullable(Bool),
    sent_by           LowCardinality(Nullable(String)),
    postage           LowCardinality(Nullable(String)),
    source_partition  UInt32,
    source_offset     UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(created_day)
ORDER BY (created_day, notification_id, event_id);

-- Letters again, keyed by notification, so that the despatch rollup can find a letter's
-- postage and sheets without scanning every day.
CREATE TABLE IF NOT EXISTS letter_events
(
    event_id        UUID,
    notification_id UUID,
    key_type        LowCardinality(String),
    status_rank     UInt8,
    created_day     Date,
    updated_at      DateTime64(6, 'UTC'),
    billable_units  UInt32,
    postage         LowCardinality(Nullable(String))
)
ENGINE = ReplacingMergeTree
ORDER BY (notification_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS letter_events_mv TO letter_events AS
SELECT event_id, notification_id, key_type, status_rank, created_day, updated_at, billable_units, postage
FROM notification_events
WHERE notification_type = 'letter';

CREATE TABLE IF NOT EXISTS letter_despatches
(
    event_id        UUID,
    notification_id UUID,
    despatched_on   Date,
    cost_threshold  LowCardinality(String),
    INDEX despatched_on_idx despatched_on TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree
ORDER BY (notification_id, event_id);

CREATE TABLE IF NOT EXISTS inbound_sms
(
    event_id       UUID,
    inbound_sms_id UUID,
    service_id     UUID,
    created_at     DateTime64(6, 'UTC'),
    created_day    Date,
    provider       LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (service_id, created_day, inbound_sms_id);
