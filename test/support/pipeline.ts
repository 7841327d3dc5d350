import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Partitioners, type Admin, type Producer } from 'kafkajs';
import { SignJWT } from 'jose';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse, type Clickhouse } from '@notify-stats/clickhouse';
import { ingestReadiness, startIngest, type BatchSink, type IngestHandle } from '@notify-stats/ingest';
import { DeadLetterCounter, INGEST_GROUP_ID, consumerLag, createKafka, kafkaStatus, type Kafka } from '@notify-stats/kafka';
import { startRollups, type RollupsHandle } from '@notify-stats/rollups';
import { createLogger, type Logger } from '@notify-stats/runtime';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { testClickhouseConfig } from './clickhouse.ts';
import { waitFor } from './wait.ts';

export const ADMIN = { clientId: 'notify-admin', secret: 'test-admin-secret-0123456789' };
/** The operator: /admin/* (the report reader above is refused there). */
export const OPERATOR = { clientId: 'notify-operator', secret: 'test-operator-secret-0123456789' };

export async function adminToken(iat = Math.floor(Date.now() / 1000), secret = ADMIN.secret, iss = ADMIN.clientId): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(iss).setIssuedAt(iat).sign(new TextEncoder().encode(secret));
}

export const operatorToken = (iat?: number): Promise<string> => adminToken(iat, OPERATOR.secret, OPERATOR.clientId);

/**
 * The environment of a `notify-stats` process pointed at these brokers with the test's clients:
 * the operator commands call /admin/* as the operator (the report reader's credential is refused there).
 */
export const clientsEnv = (brokers: string[]): Record<string, string> => ({
  KAFKA_BROKERS: brokers.join(','),
  ADMIN_CLIENT_ID: ADMIN.clientId,
  ADMIN_CLIENT_SECRET: ADMIN.secret,
  OPERATOR_CLIENT_ID: OPERATOR.clientId,
  OPERATOR_CLIENT_SECRET: OPERATOR.secret,
});

export interface TestPipeline {
  ch: Clickhouse;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  ingest: IngestHandle;
  rollups: RollupsHandle;
  app: FastifyInstance;
  /** GET with a fresh admin token. */
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Resolves once every event produced before `producedAt` is in the facts (X-Data-As-Of). */
  waitForFacts(producedAt: number, timeoutMs?: number): Promise<void>;
  waitForLagZero(timeoutMs?: number): Promise<void>;
  /** Stops the consumer, runs `whileStopped` (e.g. a rewind), and starts a new one (with new options). */
  restartIngest(whileStopped?: () => Promise<void>, changes?: Pick<PipelineOptions, 'rejectServices'>): Promise<void>;
  /** Makes the API listen on a free loopback port, for commands that call it; returns its base URL. */
  listen(): Promise<string>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  clickhousePath?: string;
  rejectServices?: ReadonlySet<string>;
  sink?: (base: BatchSink) => BatchSink;
  consumers?: number;
  partitions?: number;
  stallAfterMs?: number;
  stuckAfterMs?: number;
  sessionTimeoutMs?: number;
  metadataMaxAgeMs?: number;
  /** Replaces the quiet test logger (e.g. to watch the consumers join their group). */
  logger?: Logger;
}

/** The whole pipeline in this process on the embedded engine, as `npm start` runs it. */
export async function startPipeline(brokers: string[], opts: PipelineOptions = {}): Promise<TestPipeline> {
  const logger = opts.logger ?? createLogger('test', {});
  if (!opts.logger) logger.level = process.env.LOG_LEVEL ?? 'error';
  const ch = await openClickhouse(await testClickhouseConfig(opts.clickhousePath));
  await migrate(ch.client, undefined, ch.topology);
  const kafka = createKafka(brokers, 'notify-stats-test', logger);
  const newIngest = () =>
    startIngest({
      kafka,
      clickhouse: ch.client,
      logger,
      partitions: opts.partitions ?? 6,
      ...(opts.sink ? { sink: opts.sink } : {}),
      ...(opts.consumers ? { consumers: opts.consumers } : {}),
      ...(opts.stallAfterMs ? { stallAfterMs: opts.stallAfterMs } : {}),
      ...(opts.stuckAfterMs ? { stuckAfterMs: opts.stuckAfterMs } : {}),
      ...(opts.sessionTimeoutMs ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
      ...(opts.metadataMaxAgeMs ? { metadataMaxAgeMs: opts.metadataMaxAgeMs } : {}),
      ...(opts.rejectServices ? { rejectServices: opts.rejectServices } : {}),
    });
  let ingest = await newIngest();
  const admin = kafka.admin();
  await admin.connect();
  const rollups = await startRollups({ clickhouse: ch.client, kafka, logger, intervalMs: 250, safetyCron: '' });
  // As `notify-stats start` reports them: counted like `dlq list` (the CLI samples this on a timer).
  const deadLetters = new DeadLetterCounter(kafka, admin);
  const app = await buildApp({
    clickhouse: ch.client,
    admin: ADMIN,
    operator: OPERATOR,
    dataAsOf: async () => rollups.watermark(),
    readiness: { ingest: () => ingestReadiness(pipeline.ingest) },
    rollups,
    ingest: {
      pause: () => pipeline.ingest.pause(),
      resume: () => pipeline.ingest.resume(),
      isPaused: () => pipeline.ingest.isPaused(),
    },
    pipelineStatus: async () => ({
      kafka: await kafkaStatus(admin, INGEST_GROUP_ID),
      rollups: await rollups.status(),
      deadLetters: await deadLetters.count(),
      ingest: { stalls: pipeline.ingest.stalls() },
    }),
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();

  const get = async (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await adminToken()}`, ...headers } });

  const pipeline: TestPipeline = {
    ch,
    kafka,
    admin,
    producer,
    ingest,
    rollups,
    app,
    get,
    waitForFacts: async (producedAt, timeoutMs = 60_000) => {
      await waitFor(
        `X-Data-As-Of to pass ${new Date(producedAt).toISOString()}`,
        async () => {
          const asOf = (await get('/platform-stats')).headers['x-data-as-of'];
          return typeof asOf === 'string' && Date.parse(asOf) >= producedAt;
        },
        timeoutMs,
      );
    },
    waitForLagZero: async (timeoutMs = 60_000) => {
      await waitFor(
        'consumer lag 0',
        async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).every((p) => p.lag === 0),
        timeoutMs,
      );
    },
    restartIngest: async (whileStopped, changes) => {
      await pipeline.ingest.stop();
      await whileStopped?.();
      if (changes) Object.assign(opts, changes);
      ingest = await newIngest();
      pipeline.ingest = ingest;
    },
    listen: () => app.listen({ port: 0, host: '127.0.0.1' }),
    stop: async () => {
      await app.close();
      await producer.disconnect();
      await admin.disconnect();
      await rollups.stop();
      await pipeline.ingest.stop();
      await ch.close();
    },
  };
  return pipeline;
}
