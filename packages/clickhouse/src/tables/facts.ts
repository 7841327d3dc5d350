import type { z } from 'zod';
import { col, defineTable, type Column } from './table.ts';

// The fact tables the rollups write and the api reads (SummingMergeTree: rows of one key add
// up). A row reads back with its sums as exact integers and `rate` as exact decimal text.

export const FACT_NOTIFICATION_STATUS = defineTable('fact_notification_status', {
  day: col.date(),
  service_id: col.uuid(),
  template_id: col.uuid(),
  job_id: col.uuid(),
  notification_type: col.lowCardinality(),
  key_type: col.lowCardinality(),
  status: col.lowCardinality(),
  notification_count: col.int64(),
});
export type FactNotificationStatusRow = z.infer<typeof FACT_NOTIFICATION_STATUS.row>;

export const FACT_BILLING = defineTable('fact_billing', {
  day: col.date(),
  service_id: col.uuid(),
  template_id: col.uuid(),
  notification_type: col.lowCardinality(),
  provider: col.lowCardinality(),
  rate_multiplier: col.uint32(),
  international: col.bool(),
  rate: col.money(),
  postage: col.lowCardinality(),
  sheets: col.uint32(),
  notifications_sent: col.int64(),
  billable_units: col.int64(),
  chargeable_units: col.int64(),
});
export type FactBillingRow = z.infer<typeof FACT_BILLING.row>;

export const FACT_LETTER_DESPATCH = defineTable('fact_letter_despatch', {
  day: col.date(),
  postage: col.lowCardinality(),
  cost_threshold: col.lowCardinality(),
  sheets: col.uint32(),
  rate: col.money(),
  letters: col.int64(),
});
export type FactLetterDespatchRow = z.infer<typeof FACT_LETTER_DESPATCH.row>;

// Monthly sums of the two facts above (migration 0006), fed by views on them: `month` (the first
// day of its London month) for `day`, and neither template nor job, which no report over a range
// reads. A test compares each with the DDL, column by column.

/** A daily fact's columns as its monthly sums keep them. */
function monthlyColumns<C extends Record<string, Column>, const D extends keyof C & string>(columns: C, dropped: readonly D[]) {
  const kept = Object.fromEntries(Object.entries(columns).filter(([name]) => name !== 'day' && !(dropped as readonly string[]).includes(name)));
  return { month: col.date(), ...(kept as Omit<C, 'day' | D>) };
}

export const FACT_NOTIFICATION_STATUS_MONTH = defineTable(
  'fact_notification_status_month',
  monthlyColumns(FACT_NOTIFICATION_STATUS.columns, ['template_id', 'job_id']),
);

export const FACT_BILLING_MONTH = defineTable('fact_billing_month', monthlyColumns(FACT_BILLING.columns, ['template_id']));

/** Each daily fact with its monthly sums and which of their columns are the summed counters. */
export const MONTHLY_FACTS = {
  status: { day: FACT_NOTIFICATION_STATUS, month: FACT_NOTIFICATION_STATUS_MONTH, sums: ['notification_count'] },
  billing: { day: FACT_BILLING, month: FACT_BILLING_MONTH, sums: ['notifications_sent', 'billable_units', 'chargeable_units'] },
} as const;
