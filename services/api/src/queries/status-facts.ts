import { z } from 'zod';
import { MONTHLY_FACTS, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { DayRange } from './day-range.ts';
import { factRows, queryDays } from './query-days.ts';

export const statusTotalRow = z.object({
  notification_type: z.string(),
  status: z.string(),
  total: z.coerce.number(),
});
export type StatusTotalRow = z.infer<typeof statusTotalRow>;

/** Notifications per type and status created in the range; test keys never count, nor keys summing to zero. */
export async function statusTotals(client: ClickHouseClient, range: DayRange): Promise<StatusTotalRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT notification_type, status, sum(notification_count) AS total
       FROM ${factRows(MONTHLY_FACTS.status, ['notification_type', 'status', 'notification_count'], "key_type != 'test'")}
       GROUP BY notification_type, status
       HAVING total != 0`,
    row: statusTotalRow,
  });
}
