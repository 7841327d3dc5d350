-- Monthly pre-aggregates of the status and billing facts (issue 19): a report over whole months
-- reads one row per month and key here instead of one per day, and only the partial months at
-- the ends of its range from the daily facts (services/api/src/queries/query-days.ts).
--
-- They are fed by views on the daily facts, so every write that moves a fact (a cycle's apply,
-- a repair's correction, a late rate's move) moves its month in the same INSERT, with no step
-- of its own. A cycle's apply carries a deduplication token; with
-- deduplicate_blocks_in_dependent_materialized_views the view's block is deduplicated too, which
-- needs a deduplication window on these tables as on the daily ones. Like the daily facts they are signed sums: readers sum per key and drop keys
-- summing to zero. Template and job are left out: no report over a range reads them.
--
-- The rollups reconcile them with the daily facts (services/rollups/src/months.ts): on the first
-- start after this migration (history from before the views) and after every repair, which
-- also covers a write the engine committed to a daily table but not to its view (a process
-- killed inside one INSERT).

CREATE TABLE IF NOT EXISTS fact_notification_status_month
(
    month              Date,
    service_id         UUID,
    notification_type  LowCardinality(String),
    key_type           LowCardinality(String),
    status             LowCardinality(String),
    notification_count Int64
)
ENGINE = SummingMergeTree
ORDER BY (month, notification_type, status, key_type, service_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS fact_notification_status_month_mv TO fact_notification_status_month AS
SELECT toStartOfMonth(day) AS month, service_id, notification_type, key_type, status,
       sum(notification_count) AS notification_count
FROM fact_notification_status
GROUP BY month, service_id, notification_type, key_type, status;

CREATE TABLE IF NOT EXISTS fact_billing_month
(
    month              Date,
    service_id         UUID,
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
ORDER BY (month, notification_type, service_id, provider, rate_multiplier, international, rate, postage, sheets)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS fact_billing_month_mv TO fact_billing_month AS
SELECT toStartOfMonth(day) AS month, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets,
       sum(notifications_sent) AS notifications_sent, sum(billable_units) AS billable_units, sum(chargeable_units) AS chargeable_units
FROM fact_billing
GROUP BY month, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets;
