import { z } from 'zod';
import { dataEnv } from '@notify-stats/runtime';

const blank = (v: unknown) => (v === '' ? undefined : v);

/** The development secret `npm start` prints; refused when NODE_ENV=production. */
export const DEV_ADMIN_SECRET = 'notify-stats-development-secret';
/** The operator's development secret, printed the same way. */
export const DEV_OPERATOR_SECRET = 'notify-stats-development-operator-secret';

/**
 * What the report API reads from the environment. The ClickHouse connection it is given belongs
 * to the process, which may run other services beside it; NODE_ENV decides whether the
 * development secrets are allowed.
 */
export const apiEnv = dataEnv
  .pick({ NODE_ENV: true })
  .extend({
    PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65535).default(6011)),
    HOST: z.preprocess(blank, z.string().default('127.0.0.1')),
    // The report reader: reads every report and any service's statistics.
    ADMIN_CLIENT_ID: z.preprocess(blank, z.string().min(1).default('notify-admin')),
    ADMIN_CLIENT_SECRET: z.preprocess(blank, z.string().min(16, 'must be at least 16 characters').optional()),
    // The operator: reads, and operates the pipeline (/admin/*: pause, resume, backfill, status).
    OPERATOR_CLIENT_ID: z.preprocess(blank, z.string().min(1).default('notify-operator')),
    OPERATOR_CLIENT_SECRET: z.preprocess(blank, z.string().min(16, 'must be at least 16 characters').optional()),
    // Requests per minute per verified client, every authenticated route (429 with Retry-After beyond); 0 = no limit.
    API_RATE_LIMIT_PER_MINUTE: z.preprocess(blank, z.coerce.number().int().min(0).default(600)),
    // Refused or missing credentials per source address per minute, then 429 before anything; 0 = no limit.
    API_AUTH_FAILURES_PER_MINUTE: z.preprocess(blank, z.coerce.number().int().min(0).default(30)),
    // The operations server (/metrics, /docs): default PORT + 1 (a free port when PORT is 0), loopback.
    METRICS_PORT: z.preprocess(blank, z.coerce.number().int().min(0).max(65535).optional()),
    METRICS_HOST: z.preprocess(blank, z.string().default('127.0.0.1')),
    // A London day is final once older than this many days; reports say whether their range has a day that is not (X-Data-Provisional).
    RESTATEMENT_AGE_DAYS: z.preprocess(blank, z.coerce.number().int().min(0).max(400).default(2)),
  })
  .superRefine((env, ctx) => {
    for (const key of ['ADMIN_CLIENT_SECRET', 'OPERATOR_CLIENT_SECRET'] as const) {
      if (env.NODE_ENV === 'production' && !env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
    }
    if (env.OPERATOR_CLIENT_ID === env.ADMIN_CLIENT_ID) {
      ctx.addIssue({ code: 'custom', path: ['OPERATOR_CLIENT_ID'], message: 'must differ from ADMIN_CLIENT_ID (the operator is another client)' });
    }
    if ((env.OPERATOR_CLIENT_SECRET ?? DEV_OPERATOR_SECRET) === (env.ADMIN_CLIENT_SECRET ?? DEV_ADMIN_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['OPERATOR_CLIENT_SECRET'], message: 'must differ from ADMIN_CLIENT_SECRET (a report reader must not be able to operate)' });
    }
    if (env.METRICS_PORT === undefined && env.PORT === 65535) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must be set when PORT is 65535 (its default is PORT + 1)' });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
  })
  .transform((env) => ({
    ...env,
    adminSecretIsDefault: !env.ADMIN_CLIENT_SECRET,
    ADMIN_CLIENT_SECRET: env.ADMIN_CLIENT_SECRET ?? DEV_ADMIN_SECRET,
    operatorSecretIsDefault: !env.OPERATOR_CLIENT_SECRET,
    OPERATOR_CLIENT_SECRET: env.OPERATOR_CLIENT_SECRET ?? DEV_OPERATOR_SECRET,
    METRICS_PORT: env.METRICS_PORT ?? (env.PORT === 0 ? 0 : env.PORT + 1),
  }));

export type ApiEnv = z.infer<typeof apiEnv>;
