import { ensureTopics, createKafka, replicationFromEnv, type Kafka } from '@notify-stats/kafka';
import {
  LoadgenOptionsError,
  ProduceError,
  formatTally,
  generate,
  produce,
  resolveOptions,
  type LoadgenOptions,
  type ProduceOptions,
  type ProduceResult,
} from '@notify-stats/loadgen';
import { createLogger, kafkaEnv, parseEnv, sleep } from '@notify-stats/runtime';
import { DEFAULT_BROKERS } from '../kafka-cli.ts';
import { progressBar } from '../progress.ts';

export interface LoadgenCommandOptions {
  count?: string;
  rate?: string;
  duration?: string;
  services: string;
  seed: string;
  days?: string;
  endDay?: string;
  lateFraction?: string;
  duplicateFraction?: string;
  invalidFraction?: string;
  batchSize?: string;
  json?: boolean;
}

const FLAGS: Record<keyof LoadgenOptions, string> = {
  count: '--count',
  rate: '--rate',
  duration: '--duration',
  services: '--services',
  seed: '--seed',
  days: '--days',
  endDay: '--end-day',
  lateFraction: '--late-fraction',
  duplicateFraction: '--duplicate-fraction',
  invalidFraction: '--invalid-fraction',
};

/** A decimal number as typed on a command line ("1e3", "0x10", "" and "5s" are refused). */
function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(value.trim())) throw new Error(`${flag} must be a number (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** Turns the flags into loadgen options; every problem names the flag. */
export function loadgenOptions(opts: LoadgenCommandOptions): ProduceOptions {
  if (opts.count !== undefined && opts.duration !== undefined) throw new Error('give either --count, or --rate with --duration, not both');
  if (opts.count === undefined && opts.duration === undefined) throw new Error('give --count N, or --rate N with --duration S');
  const options: ProduceOptions = {
    count: number('--count', opts.count),
    rate: number('--rate', opts.rate),
    duration: number('--duration', opts.duration),
    services: number('--services', opts.services),
    seed: number('--seed', opts.seed),
    days: number('--days', opts.days),
    endDay: opts.endDay,
    lateFraction: number('--late-fraction', opts.lateFraction),
    duplicateFraction: number('--duplicate-fraction', opts.duplicateFraction),
    invalidFraction: number('--invalid-fraction', opts.invalidFraction),
    batchSize: number('--batch-size', opts.batchSize),
  };
  try {
    generate(options); // checks the options, and that the count holds the reference data
  } catch (err) {
    if (err instanceof LoadgenOptionsError) throw new Error(err.option ? `${FLAGS[err.option]} ${err.problem}` : err.problem);
    throw err;
  }
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 100_000)) {
    throw new Error(`--batch-size must be an integer from 1 to 100000 (got ${options.batchSize})`);
  }
  return options;
}

/** New partitions answer produce requests a moment after their leader shows in the metadata. */
async function leadersReady(admin: ReturnType<Kafka['admin']>, topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    await sleep(200);
  }
  await sleep(1000);
}

function summary(r: ProduceResult): string {
  const what = r.aborted ? `stopped by Ctrl-C after ${r.acknowledged.toLocaleString('en-GB')} of ${r.total.toLocaleString('en-GB')}` : r.acknowledged.toLocaleString('en-GB');
  return `sent ${what} messages in ${(r.elapsedMs / 1000).toFixed(1)} s (${Math.round(r.messagesPerSecond).toLocaleString('en-GB')} messages/s), acknowledged by all replicas`;
}

/**
 * Produces a deterministic platform's worth of events to KAFKA_BROKERS (default localhost:9092,
 * the broker `npm start` runs), then prints what it sent. Ctrl-C stops after the batches in
 * flight and still prints the tally of what was acknowledged; a second Ctrl-C quits at once.
 */
export async function loadgenCommand(opts: LoadgenCommandOptions): Promise<void> {
  const options = loadgenOptions(opts);
  const env = parseEnv(kafkaEnv);
  const brokers = env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  const logger = createLogger('loadgen');
  logger.level = opts.json ? 'error' : 'warn';
  const kafka = createKafka(brokers, env.KAFKA_CLIENT_ID, logger);
  process.stderr.write(`loadgen: ${brokers.join(',')}, seed ${options.seed}, ${options.services} services\n`);

  const admin = kafka.admin();
  await admin.connect();
  try {
    // The pipeline creates these at start-up; creating them here (same settings) lets loadgen run first.
    const created = await ensureTopics(admin, env.KAFKA_TOPIC_PARTITIONS, replicationFromEnv(env));
    if (created.length) await leadersReady(admin, created);
  } finally {
    await admin.disconnect();
  }

  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    process.stderr.write('\nstopping after the batches in flight (Ctrl-C again to quit now)...\n');
  };
  process.on('SIGINT', onSigint);
  const bar = progressBar('events');
  const total = resolveOptions(options).count;
  let lastUpdate = 0;
  bar.start(total);
  let result: ProduceResult;
  try {
    result = await produce(
      kafka,
      { ...options, brokers, clientId: `${env.KAFKA_CLIENT_ID}-loadgen` },
      (p) => {
        const now = Date.now();
        if (now - lastUpdate < 200 && p.acknowledged < p.total) return;
        lastUpdate = now;
        bar.update(p.acknowledged, p.total);
      },
      abort.signal,
    );
  } catch (err) {
    bar.stop();
    if (err instanceof ProduceError) print(err.result, Boolean(opts.json));
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  bar.stop();
  print(result, Boolean(opts.json));
  if (result.aborted) process.exitCode = 130;
}

function print(r: ProduceResult, json: boolean): void {
  if (json) {
    const { tally, ...run } = r;
    process.stdout.write(`${JSON.stringify({ ...run, tally })}\n`);
  } else {
    process.stdout.write(`${summary(r)}\n\n${formatTally(r.tally)}\n`);
  }
}
