import { z } from 'zod';
import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { dayRangeParams, factDays, type DayRange } from './day-range.ts';

export const statusTotalRow = z.object({
  notification_type: z.string(),
  status: z.string(),
  total: z.coerce.number(),
});
export type StatusTotalRow = z.infer<typeof statusTotalRow>;

/** Notifications per type and status created in the range; test keys never count, nor keys summing to zero. */
export async function statusTotals(client: ClickHouseClient, range: DayRange): Promise<StatusTotalRow[]> {
  const days = factDays(dayRangeParams.parse(range));
  if (!days) return [];
  const rows = await queryRows<unknown>(
    client,
    `SELECT notification_type, status, sum(notification_count) AS total
     FROM fact_notification_status
     WHERE day BETWEEN {start: Date} AND {end: Date} AND key_type != 'test'
     GROUP BY notification_type, status
     HAVING total != 0`,
    days,
  );
  return rows.map((r) => statusTotalRow.parse(r));
}
