import path from 'node:path';
import { z } from 'zod';
import { apiEnv as apiServiceEnv } from '@notify-stats/api';
import { ingestEnv as ingestServiceEnv } from '@notify-stats/ingest';
import { rollupsEnv as rollupsServiceEnv } from '@notify-stats/rollups';
import { clickhouseEnv, dataEnv, kafkaEnv } from '@notify-stats/runtime';

/**
 * Each service owns its variables (services/<name>/src/env.ts); the CLI adds what a process opens
 * once for the services it runs: its data folder, ClickHouse and Kafka.
 */
export const connectionsEnv = dataEnv.extend(clickhouseEnv.shape).extend(kafkaEnv.shape);

/** `ingest`: the worker alone. */
export const ingestEnv = connectionsEnv.extend(ingestServiceEnv.shape);

/** `rollups`: the rollups service alone. */
export const rollupsEnv = connectionsEnv.extend(rollupsServiceEnv.shape);

/**
 * The API's variables with the ClickHouse connection: `api`, and the commands that call the
 * running API (token, report, status, rollup, replay) with its credentials.
 */
export const apiEnv = z.intersection(dataEnv.extend(clickhouseEnv.shape), apiServiceEnv);

/** Everything at once, for `start`. */
export const allInOneEnv = z.intersection(connectionsEnv.extend(ingestServiceEnv.shape).extend(rollupsServiceEnv.shape), apiServiceEnv);

export type ConnectionsEnv = z.infer<typeof connectionsEnv>;
export type ApiEnv = z.infer<typeof apiEnv>;
export type AllInOneEnv = z.infer<typeof allInOneEnv>;

export const clickhousePathOf = (env: { CLICKHOUSE_PATH?: string | undefined; DATA_DIR: string }) =>
  path.resolve(env.CLICKHOUSE_PATH ?? path.join(env.DATA_DIR, 'clickhouse'));
