// One producing thread: its own kafkajs client, its share of the stream, its own tally.
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, Partitioners, logLevel, type LogEntry } from 'kafkajs';
import { Batcher } from './batcher.ts';
import { generate, type Shard } from './generator.ts';
import type { LoadgenOptions } from './options.ts';
import { TokenBucket } from './rate-limiter.ts';
import { sendLoop } from './send-loop.ts';
import { TallyBuilder, type Tally } from './tally.ts';

export interface ThreadInit {
  options: LoadgenOptions;
  shard: Shard;
  brokers: string[];
  clientId: string;
  batchSize: number;
  inFlight: number;
  connections: number;
  /** This thread's share of the rate, or null. */
  rate: number | null;
}

export type ToThread = { type: 'start'; partitions: Array<[string, number]> } | { type: 'go' } | { type: 'stop' };
export type FromThread =
  | { type: 'acknowledged'; count: number }
  | { type: 'reference-done' }
  | { type: 'done'; tally: Tally; acknowledged: number; error: string | null };

class StoppedBeforeStart extends Error {}

const LEVELS: Record<number, string> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

async function run(init: ThreadInit): Promise<void> {
  const port = parentPort!;
  const post = (m: FromThread) => port.postMessage(m);
  const generation = generate(init.options);
  const tally = new TallyBuilder(generation);
  const abort = new AbortController();
  let go = () => undefined as void;
  const eventsAllowed = init.shard.index === 0 ? undefined : new Promise<void>((resolve) => (go = resolve));
  let start = (_partitions: Map<string, number> | null) => undefined as void;
  const started = new Promise<Map<string, number> | null>((resolve) => (start = resolve));
  port.on('message', (m: ToThread) => {
    if (m.type === 'start') return start(new Map(m.partitions));
    if (m.type === 'stop') {
      abort.abort();
      start(null);
    }
    go();
  });

  const kafka = new Kafka({
    clientId: init.clientId,
    brokers: init.brokers,
    logLevel: logLevel.ERROR,
    retry: { initialRetryTime: 300, retries: 12, maxRetryTime: 10_000 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) =>
        process.stderr.write(`${JSON.stringify({ level: LEVELS[level], kafka: log })}\n`),
  });
  const producers = Array.from({ length: init.connections }, () =>
    kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false }),
  );
  let result: { acknowledged: number; failure: unknown } = { acknowledged: 0, failure: null };
  try {
    await Promise.all(producers.map((p) => p.connect()));
    // The coordinating thread checks the topics meanwhile, then says how they are partitioned.
    const partitions = await started;
    if (partitions === null) throw new StoppedBeforeStart();
    result = await sendLoop({
      producers,
      batcher: new Batcher(generation, init.shard),
      tally,
      partitions,
      batchSize: init.batchSize,
      inFlight: init.inFlight,
      bucket: init.rate === null ? null : new TokenBucket(init.rate, init.batchSize),
      signal: abort.signal,
      onReferenceDone: () => post({ type: 'reference-done' }),
      eventsAllowed,
      onAcknowledged: (count) => post({ type: 'acknowledged', count }),
    });
  } catch (err) {
    if (!(err instanceof StoppedBeforeStart)) result.failure ??= err;
  } finally {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
  }
  const error = result.failure === null ? null : ((result.failure as Error).message ?? String(result.failure));
  post({ type: 'done', tally: tally.result(), acknowledged: result.acknowledged, error });
  port.close();
}

void run(workerData as ThreadInit);
