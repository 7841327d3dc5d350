-- Platform sums of the billing facts per day, type and provider (issue 19): the daily SMS
-- provider volumes and the daily volumes read about 1.5k rows for a year here instead of every
-- service's and template's 2.2M (services/api/src/queries/billing-facts.ts).
--
-- A projection rather than a table fed by a view: the engine writes it inside each part of
-- fact_billing, so it is committed with the facts or not at all (no reconciling after a process
-- killed inside an INSERT, no fill step), and the engine answers from it only for parts that
-- hold it, reading the rows of any part that does not. Sums are all it keeps, so a merge of the
-- signed rows (SummingMergeTree adds them up, and drops keys that sum to zero) leaves them true:
-- 'rebuild' recomputes the projection of a merged part from its rows, which the engine requires
-- of a table whose merges change rows.
ALTER TABLE fact_billing MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE fact_billing ADD PROJECTION IF NOT EXISTS billing_by_day_provider
(
    SELECT day, notification_type, provider,
           sum(notifications_sent), sum(billable_units), sum(chargeable_units), sum(chargeable_units * rate)
    GROUP BY day, notification_type, provider
);

-- Parts written before the projection get it from this mutation, which runs in the background
-- (migrate does not wait for it); reports are exact meanwhile, reading those parts' rows.
ALTER TABLE fact_billing MATERIALIZE PROJECTION billing_by_day_provider;
