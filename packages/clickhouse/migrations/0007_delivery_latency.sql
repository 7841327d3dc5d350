-- Delivery latency by provider (issue 22, reports.md "Delivery latency"): per London day, type
-- and provider, how many delivered notifications took how long from created_at to the
-- updated_at of their delivered snapshot, in fixed log-spaced buckets
-- (packages/clickhouse/src/tables/delivery-latency.ts says where each bucket starts).
--
-- A snapshot's updated_at is already in its version; its created_at becomes a snapshot field,
-- so the change log, the counted snapshots and a cycle's staged snapshots carry it. Rows written
-- before this migration read it as 0 (1970-01-01): "not known", and such a snapshot is in no
-- latency bucket. The rollups count those notifications again from the raw layer once
-- (services/rollups/src/latency-fill.ts); the API answers the report once that is done.
ALTER TABLE notification_changes ADD COLUMN IF NOT EXISTS created_at DateTime64(6, 'UTC');
ALTER TABLE counted_notifications ADD COLUMN IF NOT EXISTS created_at DateTime64(6, 'UTC');
ALTER TABLE rollup_staged_snapshots ADD COLUMN IF NOT EXISTS created_at DateTime64(6, 'UTC');

-- The change log's view again, with created_at. The new view is created before the old one is
-- dropped, so that no event lands between them unlogged; an event both views logged is logged
-- twice, which a window reads as one (the newest snapshot by version, then by created_at).
CREATE MATERIALIZED VIEW IF NOT EXISTS notification_changes_v2_mv TO notification_changes AS
SELECT source_partition, source_offset, notification_id,
       bitShiftLeft(toUInt256(toUnixTimestamp64Micro(updated_at)), 136)
         + bitShiftLeft(toUInt256(status_rank), 128)
         + toUInt256(reinterpretAsUInt128(reverse(unhex(replaceAll(toString(event_id), '-', ''))))) AS version,
       created_day, service_id, template_id, job_id, notification_type, key_type, status, billable_units,
       rate_multiplier, international, sent_by, postage, created_at
FROM notification_events;

DROP TABLE IF EXISTS notification_changes_mv;

-- Signed sums like the other facts: delivered notifications per day, type, provider and bucket.
-- No service: the report is the platform's, and a key per service would multiply the rows by
-- the number of services.
CREATE TABLE IF NOT EXISTS fact_delivery_latency
(
    day               Date,
    notification_type LowCardinality(String),
    provider          LowCardinality(String),
    bucket            UInt16,
    delivered         Int64
)
ENGINE = SummingMergeTree
ORDER BY (day, notification_type, provider, bucket)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS rollup_staged_latency
(
    cycle             UInt64,
    day               Date,
    notification_type LowCardinality(String),
    provider          LowCardinality(String),
    bucket            UInt16,
    delivered         Int64
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY (day, notification_type, provider, bucket);
