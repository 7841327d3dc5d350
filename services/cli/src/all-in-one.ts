import { apiFromEnv, type ApiHandle, type ApiSeams } from '@notify-stats/api';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import { ingestFromEnv, ingestReadiness, type IngestHandle, type IngestSeams } from '@notify-stats/ingest';
import { INGEST_GROUP_ID, kafkaStatus, type Kafka } from '@notify-stats/kafka';
import { rollupsFromEnv, type RollupsHandle } from '@notify-stats/rollups';
import type { Logger, Shutdown } from '@notify-stats/runtime';
import type { AllInOneEnv } from './env.ts';
import { PipelineObserver, type ObserverOptions } from './ops/pipeline-observer.ts';

/** What the process opened once and the three services share (one embedded engine per process). */
export interface PipelineResources {
  kafka: Kafka;
  /** The API's and the observer's. */
  clickhouse: ClickHouseClient;
  /** A client of the same ClickHouse whose queries run beside the others' (Clickhouse.session). */
  session: () => ClickHouseClient;
  logger: Logger;
}

/** Seams for the end-to-end tests: fault injection, no report cache, an observer that samples faster. */
export interface PipelineSeams {
  ingest?: IngestSeams;
  api?: ApiSeams;
  observer?: Pick<ObserverOptions, 'everyMs' | 'deadLettersEveryMs'>;
}

export interface AllInOne {
  /** The consumer running now (restartIngest replaces it). */
  ingest(): IngestHandle;
  rollups: RollupsHandle;
  api: ApiHandle;
  /** Stops the consumer, runs `whileStopped` (e.g. a rewind), starts a new one from `env`; the API follows. */
  restartIngest(whileStopped?: () => Promise<void>, env?: AllInOneEnv): Promise<void>;
}

/**
 * Ingest, rollups and api in one process, wired to each other: `start` runs this, and so do the
 * end-to-end tests, so they test the assembly production runs. Each step is registered on
 * `shutdown` right after it starts, so stopping undoes it in reverse: HTTP first, then the
 * rollups, then the consumer (which finishes and commits its batch).
 */
export async function startAllInOne(env: AllInOneEnv, resources: PipelineResources, shutdown: Shutdown, seams: PipelineSeams = {}): Promise<AllInOne> {
  const { kafka, clickhouse, logger } = resources;
  // The ingest's writes and the rollups' cycles each on a session of their own: on the embedded
  // engine, whose sessions run one query at a time, a cycle's statements waited behind the
  // ingest's writes (at 10k events/s the writes kept one session busy nearly all the time).
  const ingestSession = resources.session();
  const newIngest = (ingestEnv: AllInOneEnv) =>
    ingestFromEnv(ingestEnv, { kafka, clickhouse: ingestSession, logger: logger.child({ service: 'ingest' }) }, seams.ingest);
  let ingest = await newIngest(env);
  shutdown.add('ingest', () => ingest.stop());
  // Its readiness stays "consuming" here: the rollups' cycles are in its metrics and in status.
  const { rollups, observer: cycles } = await rollupsFromEnv(env, { kafka, clickhouse: resources.session(), logger: logger.child({ service: 'rollups' }) });
  shutdown.add('rollups', () => rollups.stop());
  const observer = new PipelineObserver({ kafka, clickhouse, logger, ...seams.observer }).start();
  shutdown.add('pipeline observer', () => observer.stop());
  const admin = kafka.admin();
  await admin.connect();
  shutdown.add('kafka admin', () => admin.disconnect());
  const api = await apiFromEnv(
    env,
    { clickhouse, logger: logger.child({ service: 'api' }) },
    {
      readiness: { clickhouse: () => clickhouse.ping().then((r) => r.success), ingest: () => ingestReadiness(ingest) },
      dataAsOf: async () => rollups.watermark(),
      rollups,
      // Through `ingest` as it is when asked: a restart replaces the consumer under the API.
      ingest: { pause: () => ingest.pause(), resume: () => ingest.resume(), isPaused: () => ingest.isPaused() },
      pipelineStatus: async () => ({
        kafka: await kafkaStatus(admin, INGEST_GROUP_ID),
        rollups: { ...(await rollups.status()), lastSuccessfulCycle: cycles.lastSuccessAt() },
        deadLetters: observer.deadLetterCounts(),
        ingest: { stalls: ingest.stalls() },
      }),
    },
    seams.api,
  );
  shutdown.add('api', () => api.stop());
  return {
    ingest: () => ingest,
    rollups,
    api,
    restartIngest: async (whileStopped, next = env) => {
      await ingest.stop();
      await whileStopped?.();
      ingest = await newIngest(next);
    },
  };
}
