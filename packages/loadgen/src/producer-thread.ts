// A producing worker thread: its own kafkajs client, the chunks the coordinating thread hands it,
// its own tally.
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { Batcher } from './batcher.ts';
import { generate } from './generator.ts';
import type { LoadgenOptions } from './options.ts';
import { pacing } from './rate-limiter.ts';
import { loadgenProducer, sendLoop } from './send-loop.ts';
import { TallyBuilder, type Tally } from './tally.ts';

export interface ThreadInit {
  options: LoadgenOptions;
  brokers: string[];
  clientId: string;
  batchSize: number;
  inFlight: number;
  connections: number;
  /** This thread's share of the rate, or null. */
  rate: number | null;
}

export type ToThread =
  | { type: 'start'; partitions: Array<[string, number]> }
  | { type: 'chunk'; index: number | null }
  | { type: 'go' }
  | { type: 'stop' };
export type FromThread =
  | { type: 'chunk-wanted' }
  | { type: 'acknowledged'; count: number }
  | { type: 'done'; tally: Tally; acknowledged: number; error: string | null };

/** Chunk requests kept outstanding, so the next chunk is here before it is needed. */
const PREFETCH = 3;
const LEVELS: Record<number, string> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

class Stopped extends Error {}

async function run(init: ThreadInit): Promise<void> {
  const port = parentPort!;
  const post = (m: FromThread) => port.postMessage(m);
  const generation = generate(init.options);
  const tally = new TallyBuilder(generation);
  const abort = new AbortController();

  let go = () => undefined as void;
  const eventsAllowed = new Promise<void>((resolve) => (go = resolve));
  let start = (_p: Map<string, number> | null) => undefined as void;
  const started = new Promise<Map<string, number> | null>((resolve) => (start = resolve));
  // Chunk indices arrive in the order asked for; keep PREFETCH requests outstanding.
  const arrived: Array<number | null> = [];
  const waiting: Array<(index: number | null) => void> = [];
  let asked = 0;
  const ask = () => {
    while (asked < PREFETCH) {
      asked++;
      post({ type: 'chunk-wanted' });
    }
  };
  const nextChunk = (): Promise<number | null> => {
    if (abort.signal.aborted) return Promise.resolve(null);
    ask();
    const ready = arrived.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  port.on('message', (m: ToThread) => {
    if (m.type === 'start') return start(new Map(m.partitions));
    if (m.type === 'chunk') {
      asked--;
      const w = waiting.shift();
      if (w) w(m.index);
      else arrived.push(m.index);
      return;
    }
    if (m.type === 'stop') {
      abort.abort();
      start(null);
      for (const w of waiting.splice(0)) w(null);
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
  const producers = Array.from({ length: init.connections }, () => loadgenProducer(kafka));
  let result: { acknowledged: number; failure: unknown } = { acknowledged: 0, failure: null };
  try {
    await Promise.all(producers.map((p) => p.connect()));
    // The coordinating thread checks the topics meanwhile, then says how they are partitioned.
    const partitions = await started;
    if (partitions === null) throw new Stopped();
    result = await sendLoop({
      producers,
      batcher: new Batcher(generation.blocks(nextChunk, false)),
      tally,
      partitions,
      batchSize: init.batchSize,
      inFlight: init.inFlight,
      bucket: init.rate === null ? null : pacing(init.rate, init.batchSize),
      signal: abort.signal,
      // The coordinating thread sends the reference data; events wait until it is acknowledged.
      eventsAllowed,
      onAcknowledged: (count) => post({ type: 'acknowledged', count }),
    });
  } catch (err) {
    if (!(err instanceof Stopped)) result.failure ??= err;
  } finally {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
  }
  const error = result.failure === null ? null : ((result.failure as Error).message ?? String(result.failure));
  post({ type: 'done', tally: tally.result(), acknowledged: result.acknowledged, error });
  port.close();
}

void run(workerData as ThreadInit);
