import { z } from 'zod';
import { FACT_LETTER_DESPATCH, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { DayRange } from './day-range.ts';
import { queryDays, queryDaysJson } from './query-days.ts';

export const despatchRow = z.object({
  date: z.string(),
  postage: z.string(),
  cost_threshold: z.string(),
  sheets: z.coerce.number(),
  rate: z.string(),
  letters: z.coerce.number(),
  cost: z.string(),
});
export type DespatchRow = z.infer<typeof despatchRow>;

// Columns are qualified: the alias `letters` would otherwise stand for the sum inside the cost's sum.
const DESPATCH_TOTALS_SQL = `SELECT f.day AS date, f.postage AS postage, f.cost_threshold AS cost_threshold, f.sheets AS sheets, f.rate AS rate,
              sum(f.letters) AS letters, sum(f.letters * f.rate) AS cost
       FROM ${FACT_LETTER_DESPATCH.name} AS f
       WHERE f.day BETWEEN {start: Date} AND {end: Date}
       GROUP BY day, postage, cost_threshold, sheets, rate
       HAVING letters != 0
       ORDER BY day, postage, cost_threshold, rate, sheets`;

/**
 * Letters despatched per (day, postage, cost_threshold, sheets, rate) with their exact cost.
 * Ordered as reports.md wants: ClickHouse compares strings bytewise, so postage is alphabetical
 * and "sorted" comes before "unsorted"; rate is compared as a decimal.
 */
export async function despatchTotals(client: ClickHouseClient, range: DayRange): Promise<DespatchRow[]> {
  return queryDays(client, { range, sql: DESPATCH_TOTALS_SQL, row: despatchRow });
}

/**
 * The same rows as the DVLA report's JSON body, rendered by the engine: rate and cost as JSON
 * numbers, as the report gives them. A year of 2,000 services is 18k rows and 2.1 MB.
 */
export async function despatchTotalsJson(client: ClickHouseClient, range: DayRange): Promise<Buffer> {
  return queryDaysJson(client, { range, sql: DESPATCH_TOTALS_SQL, integerColumns: ['sheets', 'letters'] });
}
