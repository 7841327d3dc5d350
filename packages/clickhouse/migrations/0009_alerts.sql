-- Allowance and spend alerts (issue 22, docs/alerts.md).
--
-- Spend thresholds, reference data like the free allowances (key
-- spend_threshold:<service_id>:<financial_year_start>; newest version per key).
CREATE TABLE IF NOT EXISTS ref_spend_thresholds
(
    key                  String,
    service_id           UUID,
    financial_year_start UInt16,
    amount               Decimal(38, 10),
    version              UInt64,
    is_deleted           UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

-- Every alert event of a service, threshold and financial year, numbered by seq: written
-- 'pending' (with the event) before it is published and 'published' after, so a process stopped
-- in between finds out from the topic whether it went out (services/rollups/src/alerts.ts).
CREATE TABLE IF NOT EXISTS alert_log
(
    service_id     UUID,
    financial_year UInt16,
    threshold      String,
    seq            UInt32,
    kind           LowCardinality(String),
    alert_id       String,
    event          String,
    phase          LowCardinality(String),
    at             DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (service_id, financial_year, threshold, seq);
