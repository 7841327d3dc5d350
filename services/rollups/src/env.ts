import { z } from 'zod';
import { opsEnv } from '@notify-stats/runtime';

const blank = (v: unknown) => (v === '' ? undefined : v);

/**
 * What the rollups service reads from the environment. The connections it is given (Kafka,
 * ClickHouse, DATA_DIR) belong to the process, which may run other services beside it.
 */
export const rollupsEnv = z.object({
  ROLLUP_INTERVAL_MS: z.preprocess(blank, z.coerce.number().int().min(100).max(600_000).default(1000)),
  // Unlike the other variables an empty value is kept, not read as unset: it turns the repair off.
  ROLLUP_SAFETY_CRON: z.string().default('0 3 * * *'),
  ROLLUP_SAFETY_DAYS: z.preprocess(blank, z.coerce.number().int().min(1).max(400).default(10)),
  // A London day is final once older than this many days; a change to it is a restatement (docs/restatements.md).
  RESTATEMENT_AGE_DAYS: z.preprocess(blank, z.coerce.number().int().min(0).max(400).default(2)),
});

export type RollupsEnv = z.infer<typeof rollupsEnv>;

/** The operations port of the service run alone (the API's is 6012, the ingest's 6013). */
export const ROLLUPS_METRICS_PORT = 6014;
export const rollupsOpsEnv = opsEnv(ROLLUPS_METRICS_PORT);
