import { z } from 'zod';
import { FACT_DELIVERY_LATENCY, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { NotificationType } from '@notify-stats/events';
import type { DayRange } from './day-range.ts';
import { queryDays } from './query-days.ts';

const count = z.coerce.number();

export const latencyBucketsRow = z.object({
  day: z.string(),
  notification_type: z.string(),
  provider: z.string(),
  /** (bucket, delivered) for each bucket with a count. */
  buckets: z.array(z.tuple([count, count])),
});
export type LatencyBucketsRow = z.infer<typeof latencyBucketsRow>;

const sql = (typeFilter: string) => `
  SELECT day, notification_type, provider, groupArray((bucket, delivered)) AS buckets
  FROM (SELECT day, notification_type, provider, bucket, sum(delivered) AS delivered
        FROM ${FACT_DELIVERY_LATENCY.name}
        WHERE day BETWEEN {start: Date} AND {end: Date}${typeFilter}
        GROUP BY day, notification_type, provider, bucket
        HAVING delivered != 0)
  GROUP BY day, notification_type, provider
  ORDER BY day, notification_type, provider`;
const ALL_TYPES = sql('');
const ONE_TYPE = sql(' AND notification_type = {type: String}');

/** Delivered notifications per day, type and provider, by latency bucket (tables/delivery-latency.ts). */
export async function latencyBuckets(client: ClickHouseClient, range: DayRange, type?: NotificationType): Promise<LatencyBucketsRow[]> {
  return queryDays(client, { range, sql: type ? ONE_TYPE : ALL_TYPES, params: type ? { type } : {}, row: latencyBucketsRow });
}
