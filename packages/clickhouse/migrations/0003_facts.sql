-- Daily fact tables: a pure function of the raw layer, one partition per London day so that a
-- rebuilt day replaces the old one atomically (ALTER TABLE ... REPLACE PARTITION).
-- Null template/job ids are stored as the zero UUID: facts are keys, not nullable columns.

CREATE TABLE IF NOT EXISTS fact_notification_status
(
    day                Date,
    service_id         UUID,
    template_id        UUID,
    job_id             UUID,
    notification_type  LowCardinality(String),
    key_type           LowCardinality(String),
    status             LowCardinality(String),
    notification_count UInt64
)
ENGINE = MergeTree
PARTITION BY day
ORDER BY (day, service_id, notification_type, status, key_type, template_id, job_id);

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
    notifications_sent UInt64,
    billable_units     UInt64,
    chargeable_units   UInt64
)
ENGINE = MergeTree
PARTITION BY day
ORDER BY (day, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets, template_id);

CREATE TABLE IF NOT EXISTS fact_letter_despatch
(
    day            Date,
    postage        LowCardinality(String),
    cost_threshold LowCardinality(String),
    sheets         UInt32,
    rate           Decimal(38, 10),
    letters        UInt64
)
ENGINE = MergeTree
PARTITION BY day
ORDER BY (day, postage, cost_threshold, rate, sheets);
