import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Partitioners, type Admin, type Producer } from 'kafkajs';
import { SignJWT } from 'jose';
import { allInOneEnv, startAllInOne } from '@notify-stats/cli';
import { migrate, openClickhouse, type Clickhouse } from '@notify-stats/clickhouse';
import type { BatchSink, IngestHandle } from '@notify-stats/ingest';
import { INGEST_GROUP_ID, consumerLag, createKafka, type Kafka } from '@notify-stats/kafka';
import type { RollupsHandle } from '@notify-stats/rollups';
import { Shutdown, createLogger, parseEnv, type Logger } from '@notify-stats/runtime';
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
  /**
   * The API's report cache and the observer's sampling as `npm start` runs them (benchmarks), not
   * as the tests need them: no cache, and the status sampled every 250 ms.
   */
  asStarted?: boolean;
}

/**
 * The environment `notify-stats start` would read for these options: the tests go through the
 * services' own schemas, so a value production would refuse is refused here too.
 */
function pipelineEnv(brokers: string[], opts: PipelineOptions): Record<string, string | undefined> {
  return {
    ...clientsEnv(brokers),
    NODE_ENV: 'test',
    KAFKA_CLIENT_ID: 'notify-stats-test',
    KAFKA_TOPIC_PARTITIONS: String(opts.partitions ?? 6),
    INGEST_REJECT_SERVICES: opts.rejectServices?.size ? [...opts.rejectServices].join(',') : undefined,
    INGEST_STALL_AFTER_MS: opts.stallAfterMs?.toString(),
    INGEST_STUCK_AFTER_MS: opts.stuckAfterMs?.toString(),
    INGEST_SESSION_TIMEOUT_MS: opts.sessionTimeoutMs?.toString(),
    INGEST_METADATA_MAX_AGE_MS: opts.metadataMaxAgeMs?.toString(),
    // Quick cycles, and no safety repair at 03:00 London in the middle of a test.
    ROLLUP_INTERVAL_MS: '250',
    ROLLUP_SAFETY_CRON: '',
    // Free loopback ports (the operations server's follows: PORT 0 gives METRICS_PORT 0).
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

/**
 * The whole pipeline in this process on the embedded engine, assembled by what `npm start` runs
 * (startAllInOne); only the connections are the test's: its broker and its own engine folder.
 */
export async function startPipeline(brokers: string[], opts: PipelineOptions = {}): Promise<TestPipeline> {
  const logger = opts.logger ?? createLogger('test', {});
  if (!opts.logger) logger.level = process.env.LOG_LEVEL ?? 'error';
  const shutdown = new Shutdown(logger, 30_000);
  const ch = await openClickhouse(await testClickhouseConfig(opts.clickhousePath));
  shutdown.add('clickhouse', () => ch.close());
  try {
    await migrate(ch.client, undefined, ch.topology);
    const kafka = createKafka(brokers, 'notify-stats-test', logger);
    const seams = {
      ingest: { ...(opts.sink ? { sink: opts.sink } : {}), ...(opts.consumers ? { consumers: opts.consumers } : {}) },
      // The tests read a report right after the facts change: without the cache, which would
      // answer with the previous rendering meanwhile (services/api/test/report-cache.test.ts).
      api: opts.asStarted ? {} : { factsVersion: null },
      // Sampled about as often as the tests look, so the status they read is current.
      observer: opts.asStarted ? {} : { everyMs: 250, deadLettersEveryMs: 0 },
    };
    const all = await startAllInOne(parseEnv(allInOneEnv, pipelineEnv(brokers, opts)), { kafka, clickhouse: ch.client, session: ch.session, logger }, shutdown, seams);
    const admin = kafka.admin();
    await admin.connect();
    shutdown.add('test admin', () => admin.disconnect());
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    shutdown.add('test producer', () => producer.disconnect());
    return testPipeline(all, { ch, kafka, admin, producer, shutdown, restart: (changes) => parseEnv(allInOneEnv, pipelineEnv(brokers, Object.assign(opts, changes))) });
  } catch (err) {
    await shutdown.run('start-up failed');
    throw err;
  }
}

type Assembled = Awaited<ReturnType<typeof startAllInOne>>;

interface TestSide {
  ch: Clickhouse;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  shutdown: Shutdown;
  /** The environment after `changes` to the options. */
  restart(changes: Pick<PipelineOptions, 'rejectServices'>): Parameters<Assembled['restartIngest']>[1];
}

/** The test's handles and helpers around the assembled pipeline. */
function testPipeline(all: Assembled, t: TestSide): TestPipeline {
  const { admin } = t;
  const get = async (url: string, headers: Record<string, string> = {}) =>
    all.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await adminToken()}`, ...headers } });

  return {
    ch: t.ch,
    kafka: t.kafka,
    admin,
    producer: t.producer,
    // The consumer running now: restartIngest replaces it.
    get ingest() {
      return all.ingest();
    },
    rollups: all.rollups,
    app: all.api.app,
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
    restartIngest: (whileStopped, changes) => all.restartIngest(whileStopped, t.restart(changes ?? {})),
    // The API listens from the start, as under `start` (PORT 0: a free loopback port).
    listen: async () => all.api.url,
    stop: () => t.shutdown.run('test over'),
  };
}
