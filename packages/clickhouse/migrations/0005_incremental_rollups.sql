-- Incremental rollups (services/rollups/README.md): the facts are signed sums, moved cycle by
-- cycle by per-notification deltas read from change logs in Kafka order, instead of whole London
-- days rebuilt from the raw layer.

-- Status events again, ordered by their Kafka position, so that a cycle reads exactly the window
-- of offsets between the last cycle and the ingest group's commit. `version` orders snapshots as
-- events.md does: updated_at (microseconds) << 136 | status rank << 128 | event_id as a 128-bit
-- number in its text order (the engine's own UUID order is not the text order). Kept 30 days:
-- a rollups service stopped for longer must repair the days it missed (`rollup --from --to`).
CREATE TABLE IF NOT EXISTS notification_changes
(
    source_partition  UInt32,
    source_offset     UInt64,
    notification_id   UUID,
    version           UInt256,
    created_day       Date,
    service_id        UUID,
    template_id       Nullable(UUID),
    job_id            Nullable(UUID),
    notification_type LowCardinality(String),
    key_type          LowCardinality(String),
    status            LowCardinality(String),
    billable_units    UInt32,
    rate_multiplier   Nullable(UInt32),
    international     Nullable(Bool),
    sent_by           LowCardinality(Nullable(String)),
    postage           LowCardinality(Nullable(String)),
    landed_at         DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (source_partition, source_offset)
TTL landed_at + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS notification_changes_mv TO notification_changes AS
SELECT source_partition, source_offset, notification_id,
       bitShiftLeft(toUInt256(toUnixTimestamp64Micro(updated_at)), 136)
         + bitShiftLeft(toUInt256(status_rank), 128)
         + toUInt256(reinterpretAsUInt128(reverse(unhex(replaceAll(toString(event_id), '-', ''))))) AS version,
       created_day, service_id, template_id, job_id, notification_type, key_type, status, billable_units,
       rate_multiplier, international, sent_by, postage
FROM notification_events;

-- Despatch events in Kafka order; the ingest writes here and the view keeps letter_despatches
-- (read by repairs) as it was.
CREATE TABLE IF NOT EXISTS despatch_changes
(
    source_partition UInt32,
    source_offset    UInt64,
    event_id         UUID,
    notification_id  UUID,
    despatched_on    Date,
    cost_threshold   LowCardinality(String),
    landed_at        DateTime DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (source_partition, source_offset)
TTL landed_at + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS letter_despatches_mv TO letter_despatches AS
SELECT event_id, notification_id, despatched_on, cost_threshold
FROM despatch_changes;

-- The snapshot each notification is counted with in the facts today. Looked up by
-- notification_id on every cycle; partitioned by report day for repairs. A notification whose
-- created_at moves to another day leaves a row with live = 0 and the new version in its old
-- day's partition, so that the old partition no longer counts it.
CREATE TABLE IF NOT EXISTS counted_notifications
(
    notification_id   UUID,
    created_day       Date,
    version           UInt256,
    live              UInt8,
    service_id        UUID,
    template_id       Nullable(UUID),
    job_id            Nullable(UUID),
    notification_type LowCardinality(String),
    key_type          LowCardinality(String),
    status            LowCardinality(String),
    billable_units    UInt32,
    rate_multiplier   Nullable(UInt32),
    international     Nullable(Bool),
    sent_by           LowCardinality(Nullable(String)),
    postage           LowCardinality(Nullable(String))
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY created_day
ORDER BY notification_id;

-- The despatch each letter is counted with: the greatest (despatched_on, event_id).
CREATE TABLE IF NOT EXISTS counted_despatches
(
    notification_id UUID,
    version         UInt256,
    despatched_on   Date,
    cost_threshold  LowCardinality(String)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY notification_id;

-- The facts become signed sums: rows of one key add up (and vanish on merge when they sum to 0).
-- They are not partitioned, so that every write of a cycle is one part, committed whole or not
-- at all, and a retried write with the same insert_deduplication_token is dropped by the engine.
-- Their rows were a function of the raw layer; the rollups refill them from it (see runner.ts).
DROP TABLE IF EXISTS fact_notification_status;
DROP TABLE IF EXISTS fact_billing;
DROP TABLE IF EXISTS fact_letter_despatch;

CREATE TABLE IF NOT EXISTS fact_notification_status
(
    day                Date,
    service_id         UUID,
    template_id        UUID,
    job_id             UUID,
    notification_type  LowCardinality(String),
    key_type           LowCardinality(String),
    status             LowCardinality(String),
    notification_count Int64
)
ENGINE = SummingMergeTree
ORDER BY (day, service_id, notification_type, status, key_type, template_id, job_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS fact_billing
(
    day                Date,
    service_id         UUID,
    template_id        UUID,
    notification_type  LowCardinality(String),
    provider           LowCardinality(String),
    rate_multiplier    UInt32,
    international      Bool,
    rate               Decimal(38, 10),
    postage            LowCardinality(String),
    sheets             UInt32,
    notifications_sent Int64,
    billable_units     Int64,
    chargeable_units   Int64
)
ENGINE = SummingMergeTree
ORDER BY (day, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets, template_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS fact_letter_despatch
(
    day            Date,
    postage        LowCardinality(String),
    cost_threshold LowCardinality(String),
    sheets         UInt32,
    rate           Decimal(38, 10),
    letters        Int64
)
ENGINE = SummingMergeTree
ORDER BY (day, postage, cost_threshold, rate, sheets)
SETTINGS non_replicated_deduplication_window = 10000;

-- A cycle's work before it touches the facts: the snapshots it replaces (sign -1) and counts
-- (sign +1), and the fact rows they move. Written whole, recorded as staged, then applied; a
-- cycle cut short after staging is applied again from here, never recomputed.
CREATE TABLE IF NOT EXISTS rollup_staged_snapshots
(
    cycle             UInt64,
    sign              Int8,
    notification_id   UUID,
    created_day       Date,
    version           UInt256,
    live              UInt8,
    service_id        UUID,
    template_id       Nullable(UUID),
    job_id            Nullable(UUID),
    notification_type LowCardinality(String),
    key_type          LowCardinality(String),
    status            LowCardinality(String),
    billable_units    UInt32,
    rate_multiplier   Nullable(UInt32),
    international     Nullable(Bool),
    sent_by           LowCardinality(Nullable(String)),
    postage           LowCardinality(Nullable(String))
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY (notification_id, sign);

CREATE TABLE IF NOT EXISTS rollup_staged_despatches
(
    cycle           UInt64,
    notification_id UUID,
    version         UInt256,
    despatched_on   Date,
    cost_threshold  LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY notification_id;

CREATE TABLE IF NOT EXISTS rollup_staged_status
(
    cycle              UInt64,
    day                Date,
    service_id         UUID,
    template_id        UUID,
    job_id             UUID,
    notification_type  LowCardinality(String),
    key_type           LowCardinality(String),
    status             LowCardinality(String),
    notification_count Int64
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY (day, service_id, notification_type, status, key_type, template_id, job_id);

CREATE TABLE IF NOT EXISTS rollup_staged_billing
(
    cycle              UInt64,
    day                Date,
    service_id         UUID,
    template_id        UUID,
    notification_type  LowCardinality(String),
    provider           LowCardinality(String),
    rate_multiplier    UInt32,
    international      Bool,
    rate               Decimal(38, 10),
    postage            LowCardinality(String),
    sheets             UInt32,
    notifications_sent Int64,
    billable_units     Int64,
    chargeable_units   Int64
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY (day, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets, template_id);

CREATE TABLE IF NOT EXISTS rollup_staged_despatch
(
    cycle          UInt64,
    day            Date,
    postage        LowCardinality(String),
    cost_threshold LowCardinality(String),
    sheets         UInt32,
    rate           Decimal(38, 10),
    letters        Int64
)
ENGINE = MergeTree
PARTITION BY cycle
ORDER BY (day, postage, cost_threshold, rate, sheets);

-- One row per cycle and phase (staged, done): its kind, the Kafka positions processed after it
-- (the next window starts there), how many fact rows it moved, and the random token that names
-- its fact inserts for the engine's deduplication (unique even if this table is ever emptied).
CREATE TABLE IF NOT EXISTS rollup_cycles
(
    cycle      UInt64,
    phase      LowCardinality(String),
    kind       LowCardinality(String),
    positions  String,
    changed    UInt64,
    runner     String,
    token      String,
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY cycle;
