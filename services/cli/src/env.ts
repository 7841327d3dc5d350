import path from 'node:path';
import { z } from 'zod';
import { clickhouseEnv, dataEnv, kafkaEnv } from '@notify-stats/runtime';

const blank = (v: unknown) => (v === '' ? undefined : v);

/** The development secret `npm start` prints; refused when NODE_ENV=production. */
export const DEV_ADMIN_SECRET = 'notify-stats-development-secret';

export const ingestEnv = dataEnv
  .extend(clickhouseEnv.shape)
  .extend(kafkaEnv.shape)
  .extend({
    // Quarantine: status events of these services go to the DLQ until removed and redriven.
    INGEST_REJECT_SERVICES: z.preprocess(
      blank,
      z
        .string()
        .regex(/^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36})*$/, 'must be comma-separated service ids')
        .transform((s) => new Set(s.toLowerCase().split(',')))
        .optional(),
    ),
    // A worker that dies without leaving holds its partitions this long (the broker allows 6 s..5 min).
    INGEST_SESSION_TIMEOUT_MS: z.preprocess(blank, z.coerce.number().int().min(6000).max(300_000).default(30_000)),
    // A partition whose writes keep failing this long is stalled: /readyz, `status` and a metric say so.
    INGEST_STALL_AFTER_MS: z.preprocess(blank, z.coerce.number().int().min(1000).max(3_600_000).default(30_000)),
  });

export const rollupsEnv = ingestEnv.extend({
  ROLLUP_INTERVAL_MS: z.preprocess(blank, z.coerce.number().int().min(100).max(600_000).default(1000)),
  ROLLUP_SAFETY_CRON: z.preprocess(blank, z.string().default('0 3 * * *')),
  ROLLUP_SAFETY_DAYS: z.preprocess(blank, z.coerce.number().int().min(1).max(400).default(10)),
});

export const apiEnv = dataEnv
  .extend(clickhouseEnv.shape)
  .extend({
    PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65535).default(6011)),
    HOST: z.preprocess(blank, z.string().default('127.0.0.1')),
    ADMIN_CLIENT_ID: z.preprocess(blank, z.string().min(1).default('notify-admin')),
    ADMIN_CLIENT_SECRET: z.preprocess(blank, z.string().min(16, 'must be at least 16 characters').optional()),
    // Report requests per minute per admin client (429 with Retry-After beyond); 0 = no limit.
    API_RATE_LIMIT_PER_MINUTE: z.preprocess(blank, z.coerce.number().int().min(0).default(600)),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.ADMIN_CLIENT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_CLIENT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
  })
  .transform((env) => ({
    ...env,
    adminSecretIsDefault: !env.ADMIN_CLIENT_SECRET,
    ADMIN_CLIENT_SECRET: env.ADMIN_CLIENT_SECRET ?? DEV_ADMIN_SECRET,
  }));

/** Everything at once, for `start`. */
export const allInOneEnv = z.intersection(rollupsEnv, apiEnv);

export type IngestEnv = z.infer<typeof ingestEnv>;
export type RollupsEnv = z.infer<typeof rollupsEnv>;
export type ApiEnv = z.infer<typeof apiEnv>;

export const clickhousePathOf = (env: { CLICKHOUSE_PATH?: string | undefined; DATA_DIR: string }) =>
  path.resolve(env.CLICKHOUSE_PATH ?? path.join(env.DATA_DIR, 'clickhouse'));
