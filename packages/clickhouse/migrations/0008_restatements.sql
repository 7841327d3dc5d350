-- Restatements (issue 22, docs/restatements.md): the totals of each final London day as last
-- published, the baseline a later change of that day is compared with. One row per day and
-- check; the newest wins. `totals` is JSON: total name -> figure as text (counts as integers,
-- money as exact decimals), so a new total needs no new column.
CREATE TABLE IF NOT EXISTS restatement_baselines
(
    day        Date,
    totals     String,
    checked_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(checked_at)
ORDER BY day;
