// Sends a generated stream to Kafka: big batches, several in flight, acks from all replicas,
// on several threads when it knows the brokers (kafkajs encodes on the thread that sends).
import { Worker } from 'node:worker_threads';
import type { Kafka } from 'kafkajs';
import { TOPICS, type SourceTopic } from '@notify-stats/events';
import { retry } from '@notify-stats/runtime/retry';
import { Batcher } from './batcher.ts';
import { generate } from './generator.ts';
import type { LoadgenOptions } from './options.ts';
import type { FromThread, ThreadInit, ToThread } from './producer-thread.ts';
import { pacing } from './rate-limiter.ts';
import { loadgenProducer, sendLoop } from './send-loop.ts';
import { mergeTallies } from './tally-merge.ts';
import { TallyBuilder, type Tally } from './tally.ts';

export interface ProduceOptions extends LoadgenOptions {
  /** Messages per send (default 1000; smaller when a low rate asks for ~20 sends a second). */
  batchSize?: number;
  /** Sends awaiting their acknowledgement at once, per producing thread (default 16). */
  inFlight?: number;
  /**
   * The brokers `kafka` talks to. Given, `threads - 1` worker threads, each with its own kafkajs
   * client, produce alongside this one (kafkajs encodes on the thread that sends).
   */
  brokers?: string[];
  /** Producing threads, this one included, when `brokers` is given (default 2). */
  threads?: number;
  /** kafkajs producers (connections) per thread (default 1). */
  connections?: number;
  /** kafkajs client id of the worker threads. */
  clientId?: string;
}

export interface ProduceProgress {
  /** Messages acknowledged by the broker so far. */
  acknowledged: number;
  total: number;
  elapsedMs: number;
  /** Partitions of each topic the stream is spread over (read once, when it started). */
  partitions: Readonly<Record<string, number>>;
}

export interface ProduceResult {
  /** What the broker acknowledged (all of it unless aborted or failed). */
  tally: Tally;
  acknowledged: number;
  /** What the whole run would have produced. */
  total: number;
  aborted: boolean;
  elapsedMs: number;
  messagesPerSecond: number;
  /** Partitions of each topic the stream was spread over (read once, when it started). */
  partitions: Record<string, number>;
}

/** A send failed (after kafkajs's own retries); `result` holds what was acknowledged before. */
export class ProduceError extends Error {
  override name = 'ProduceError';
  constructor(message: string, readonly result: ProduceResult, options?: ErrorOptions) {
    super(message, options);
  }
}

const PRODUCED_TOPICS: readonly SourceTopic[] = [TOPICS.referenceData, TOPICS.notificationStatus, TOPICS.letterDespatch];
const DEFAULTS = { batchSize: 1000, inFlight: 16, threads: 2, connections: 1 } as const;

function positiveInt(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer from 1 to ${max} (got ${v})`);
  return v;
}

/** A topic the stream needs is missing: asking again will not create it. */
class MissingTopics extends Error {}

/**
 * Partition counts of the topics we write to, once every partition has a leader. Right after a
 * topic grows, or during a leader election, a broker answers partitions without one (or fails
 * the request): asked again for up to about 20 s rather than failing the stream at its start.
 */
async function partitionCounts(kafka: Kafka, stopped: () => boolean): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await retry(
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = PRODUCED_TOPICS.filter((t) => !existing.has(t));
        if (missing.length) throw new MissingTopics(`topic(s) ${missing.join(', ')} do not exist: start the pipeline (it creates them) or create them first`);
        const { topics } = await admin.fetchTopicMetadata({ topics: [...PRODUCED_TOPICS] });
        const leaderless = topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}[${p.partitionId}]`));
        if (leaderless.length) throw new Error(`partitions without a leader: ${leaderless.join(' ')}`);
        return new Map(topics.map((t) => [t.name, t.partitions.length]));
      },
      { baseMs: 250, maxMs: 4_000, maxAttempts: 8, shouldStop: (err) => err instanceof MissingTopics || stopped() },
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces the generated stream, keyed by notification id (reference data by its identity key),
 * to the partition Kafka's default partitioner picks: the reference data first (acknowledged
 * before any event), then every chunk of events (a notification's messages in order, from one
 * thread), then the late ones, paced to `rate` when given. On abort every thread stops
 * dispatching and waits for its sends in flight; the tally is of what was acknowledged.
 */
export async function produce(
  kafka: Kafka,
  options: ProduceOptions,
  onProgress?: (p: ProduceProgress) => void,
  signal?: AbortSignal,
): Promise<ProduceResult> {
  const generation = generate(options); // checks the options before anything starts
  const batchSize = positiveInt('batchSize', options.batchSize ?? DEFAULTS.batchSize, 100_000);
  const inFlight = positiveInt('inFlight', options.inFlight ?? DEFAULTS.inFlight, 1000);
  const connections = positiveInt('connections', options.connections ?? DEFAULTS.connections, 16);
  const threads = options.brokers ? positiveInt('threads', options.threads ?? DEFAULTS.threads, 16) : 1;
  const rate = generation.options.rate === null ? null : generation.options.rate / threads;
  // At a low rate, ~20 sends a second rather than one burst a second.
  const effectiveBatch = rate === null ? batchSize : Math.max(1, Math.min(batchSize, Math.round(rate / 20)));

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  let acknowledged = 0;
  let started = performance.now();
  let spread: Readonly<Record<string, number>> = {};
  const progress = (count: number) => {
    acknowledged += count;
    onProgress?.({ acknowledged, total: generation.total, elapsedMs: performance.now() - started, partitions: spread });
  };
  // Chunks go to whichever thread asks first, so no thread idles while another has work left.
  let nextIndex = 0;
  const takeChunk = () => (stop.signal.aborted || nextIndex >= generation.chunkCount ? null : nextIndex++);

  // Worker threads load and connect while this thread checks the topics; every thread gets the
  // same resolved end day, even one that starts after midnight.
  const shared = { ...options, endDay: generation.options.endDay };
  const pool =
    threads > 1
      ? startThreads(
          threads - 1,
          { options: shared, brokers: options.brokers!, clientId: options.clientId ?? 'notify-stats-loadgen', batchSize: effectiveBatch, inFlight, connections, rate },
          progress,
          takeChunk,
          stop,
        )
      : null;

  let parts: Array<{ tally: Tally; error: string | null }>;
  try {
    let partitions: Map<string, number>;
    try {
      partitions = await partitionCounts(kafka, () => stop.signal.aborted);
      spread = Object.fromEntries(partitions);
    } catch (err) {
      stop.abort();
      await pool?.results;
      throw err;
    }
    started = performance.now();
    pool?.start(partitions);
    // This thread produces too, and sends the reference data first.
    const producers = Array.from({ length: connections }, () => loadgenProducer(kafka));
    const tally = new TallyBuilder(generation);
    let local: { tally: Tally; error: string | null };
    try {
      await Promise.all(producers.map((p) => p.connect()));
      const r = await sendLoop({
        producers,
        batcher: new Batcher(generation.blocks(async () => takeChunk(), true)),
        tally,
        partitions,
        batchSize: effectiveBatch,
        inFlight,
        bucket: rate === null ? null : pacing(rate, effectiveBatch),
        signal: stop.signal,
        onReferenceDone: () => pool?.go(),
        onAcknowledged: progress,
      });
      local = { tally: tally.result(), error: r.failure === null ? null : String((r.failure as Error).message ?? r.failure) };
    } catch (err) {
      local = { tally: tally.result(), error: String((err as Error).message ?? err) };
    } finally {
      await Promise.allSettled(producers.map((p) => p.disconnect()));
    }
    if (local.error !== null) stop.abort();
    parts = [local, ...(pool ? await pool.results : [])];
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const elapsedMs = performance.now() - started;
  const tally = mergeTallies(parts.map((p) => p.tally));
  const result: ProduceResult = {
    tally,
    acknowledged: tally.messages.total,
    total: generation.total,
    aborted: Boolean(signal?.aborted) && tally.messages.total < generation.total,
    elapsedMs,
    messagesPerSecond: tally.messages.total / Math.max(0.001, elapsedMs / 1000),
    partitions: spread,
  };
  const error = parts.find((p) => p.error !== null)?.error;
  if (error) throw new ProduceError(`producing failed after ${result.acknowledged} acknowledged messages: ${error}`, result);
  return result;
}

/** Starts the worker threads, hands them chunks, relays go and stop, collects their tallies. */
function startThreads(
  count: number,
  init: ThreadInit,
  progress: (count: number) => void,
  takeChunk: () => number | null,
  stop: AbortController,
): { start(partitions: Map<string, number>): void; go(): void; results: Promise<Array<{ tally: Tally; error: string | null }>> } {
  const workers: Worker[] = [];
  const tell = (m: ToThread) => workers.forEach((w) => w.postMessage(m));
  const results = new Promise<Array<{ tally: Tally; error: string | null }>>((resolve) => {
    const out: Array<{ tally: Tally; error: string | null } | undefined> = [];
    let finished = 0;
    const onStop = () => tell({ type: 'stop' });
    const settle = (index: number, r: { tally: Tally; error: string | null }) => {
      if (out[index]) return;
      out[index] = r;
      if (r.error !== null) stop.abort();
      if (++finished < count) return;
      stop.signal.removeEventListener('abort', onStop);
      resolve(out as Array<{ tally: Tally; error: string | null }>);
    };
    stop.signal.addEventListener('abort', onStop, { once: true });
    for (let index = 0; index < count; index++) {
      const w = new Worker(new URL('./producer-thread.mjs', import.meta.url), { workerData: init, execArgv: [] });
      workers.push(w);
      w.on('message', (m: FromThread) => {
        if (m.type === 'chunk-wanted') w.postMessage({ type: 'chunk', index: takeChunk() } satisfies ToThread);
        else if (m.type === 'acknowledged') progress(m.count);
        else settle(index, { tally: m.tally, error: m.error });
      });
      // A thread that died took its unreported acknowledgements with it.
      w.on('error', (err) => settle(index, { tally: emptyTallyFrom(init), error: err.message }));
      w.on('exit', (code) => settle(index, { tally: emptyTallyFrom(init), error: `producing thread exited (code ${code}) before reporting` }));
    }
    if (stop.signal.aborted) onStop();
  });
  return { start: (partitions) => tell({ type: 'start', partitions: [...partitions] }), go: () => tell({ type: 'go' }), results };
}

/** The tally of a thread that never reported (only possible when it crashed). */
function emptyTallyFrom(init: ThreadInit): Tally {
  return new TallyBuilder(generate(init.options)).result();
}
