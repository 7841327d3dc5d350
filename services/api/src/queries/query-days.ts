import type { z } from 'zod';
import { queryParsed, type ClickHouseClient } from '@notify-stats/clickhouse';
import { dayRangeParams, factDays, type DayRange } from './day-range.ts';

export interface DaysQuery<S extends z.ZodType> {
  /** SQL reading `{start: Date}` and `{end: Date}`, and any other placeholders from `params`. */
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
  const days = factDays(dayRangeParams.parse(q.range));
  if (!days) return [];
  // The range's days come last, so no other parameter can stand in for them.
  return queryParsed(client, q.sql, { ...q.params, ...days }, q.row);
}
