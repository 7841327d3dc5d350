import type { z } from 'zod';
import { isFilled, queryJsonArray, queryParsed, type ClickHouseClient, type Fill, type MONTHLY_FACTS } from '@notify-stats/clickhouse';
import { dayRangeParams, factDays, monthSpan, type DayRange } from './day-range.ts';

export interface DaysQuery<S extends z.ZodType> {
  /**
   * SQL reading `{start: Date}` and `{end: Date}` (and the whole months between them, for
   * `factRows`), and any other placeholders from `params`.
   */
  sql: string;
  range: DayRange;
  params?: Record<string, unknown>;
  /** Every row is parsed with this. */
  row: S;
}

/**
 * The frame every fact report shares: the range is validated and narrowed to the days facts can
 * have (factDays), a range with none answers [] without asking the engine, and each row is parsed.
 */
export async function queryDays<S extends z.ZodType>(client: ClickHouseClient, q: DaysQuery<S>): Promise<z.output<S>[]> {
  const params = await daysParams(client, q);
  return params ? queryParsed(client, q.sql, params, q.row) : [];
}

/**
 * The same frame for a report whose JSON body the engine renders (queryJsonArray): its rows as
 * one JSON array, `[]` for a range without fact days. `integerColumns` are checked to be exact.
 */
export async function queryDaysJson(client: ClickHouseClient, q: Omit<DaysQuery<z.ZodType>, 'row'> & { integerColumns: readonly string[] }): Promise<Buffer> {
  const params = await daysParams(client, q);
  return params ? queryJsonArray(client, q.sql, params, q.integerColumns) : Buffer.from('[]');
}

/** The query's parameters with the range's days (and whole months), or null when it has no fact days. */
async function daysParams(client: ClickHouseClient, q: Pick<DaysQuery<z.ZodType>, 'range' | 'params'>): Promise<Record<string, unknown> | null> {
  const days = factDays(dayRangeParams.parse(q.range));
  if (!days) return null;
  // The range's days come last, so no other parameter can stand in for them.
  return { ...q.params, ...days, ...monthSpan((await monthlySumsReadable(client)) ? days : null) };
}

// A fill is done once and for ever after: remembered per engine once seen.
const seen: Record<Fill, WeakSet<ClickHouseClient>> = { monthlySums: new WeakSet(), deliveryLatency: new WeakSet() };

/** Whether the rollups have done a migration's one-off fill (pipeline-state.ts says what each holds back). */
export async function fillDone(client: ClickHouseClient, fill: Fill): Promise<boolean> {
  if (seen[fill].has(client)) return true;
  if (!(await isFilled(client, fill))) return false;
  seen[fill].add(client);
  return true;
}

/**
 * Whether readers may take whole months from the monthly sums: once the rollups have filled them
 * after migration 0006. Until then a report reads days alone and never a half-filled month.
 */
export const monthlySumsReadable = (client: ClickHouseClient) => fillDone(client, 'monthlySums');

type MonthlyFact = (typeof MONTHLY_FACTS)[keyof typeof MONTHLY_FACTS];

/**
 * A fact's rows over the range, as a subquery for a reader that sums over the whole range (not
 * per day): the whole months from the fact's monthly sums (migration 0006), the days of the
 * partial months at its ends from the daily facts. A year then reads 12 rows per key, not 366.
 * `columns` are the monthly table's, which has no day, template or job.
 */
export function factRows<F extends MonthlyFact>(fact: F, columns: readonly (keyof F['month']['columns'] & string)[], where = '1'): string {
  const list = columns.join(', ');
  return `(SELECT ${list} FROM ${fact.day.name}
       WHERE day BETWEEN {start: Date} AND {end: Date} AND day NOT BETWEEN {months_from: Date} AND {months_to: Date} AND (${where})
     UNION ALL
     SELECT ${list} FROM ${fact.month.name}
       WHERE month BETWEEN {months_from: Date} AND {months_to: Date} AND (${where}))`;
}
