// Produces with the Kafka project's own Java client (kafka-clients 3.9.1, the jars infra/kafka
// fetches), not with kafkajs: its record batches are compressed by snappy-java, lz4-java and
// zstd-jni exactly as another team's Java producer would send them.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureKafkaJars } from '@notify-stats/local-kafka';
import { findJava } from '@notify-stats/local-kafka/jars';
import { spawnOwned } from './child.ts';

export const JAVA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type JavaCompression = (typeof JAVA_COMPRESSIONS)[number];

export interface JavaMessage {
  /** null: a record without key. */
  key: string | null;
  value: string;
}

export interface JavaProduceOptions {
  brokers: string[];
  topic: string;
  compression: JavaCompression;
  messages: Iterable<JavaMessage>;
  /** Kills the JVM and fails after this long, default 120 s. */
  timeoutMs?: number;
}

const JAVA_DIR = fileURLToPath(new URL('./java/', import.meta.url));
const SOURCE = join(JAVA_DIR, 'JsonLinesProducer.java');
const LOG4J = `-Dlog4j.configuration=file:${join(JAVA_DIR, 'log4j.properties')}`;

/**
 * Sends `messages` to `topic` with `java JsonLinesProducer.java` (a single-file source launch:
 * no build step), acks=all, one batch of up to 512 kB per partition, and resolves once the
 * broker acknowledged every one. The JVM is a child owned by the test (child.ts): it is killed
 * when the test ends, whatever happens here.
 */
export async function produceWithJava(opts: JavaProduceOptions): Promise<{ sent: number; ms: number }> {
  const java = findJava();
  const lib = await ensureKafkaJars();
  const started = performance.now();
  const { child, exited } = spawnOwned(java, ['-Xmx256m', LOG4J, '-cp', join(lib, '*'), SOURCE, opts.brokers.join(','), opts.topic, opts.compression], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // 'exit' may come before the last output is read: its "sent N" line is awaited through 'close'.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timedOut = false;
  const kill = () => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const fail = (why: string) =>
    new Error(`Java producer (${opts.compression} to ${opts.topic}) ${why}\n${stderr.trim()}${stdout.trim() ? `\n${stdout.trim()}` : ''}`);
  try {
    let lines = 0;
    const stdin = child.stdin;
    if (!stdin) throw fail('has no standard input');
    // A JVM that dies early closes its end: the write error is reported with its exit below.
    stdin.on('error', () => undefined);
    let chunk = '';
    for (const m of opts.messages) {
      if (m.key !== null && /[\t\r\n]/.test(m.key)) throw new Error(`a key holds a TAB or line break: ${JSON.stringify(m.key)}`);
      if (m.key === '') throw new Error('an empty key cannot be sent (it reads as no key); use null');
      if (/[\r\n]/.test(m.value)) throw new Error(`a value holds a line break: ${JSON.stringify(m.value.slice(0, 80))}`);
      chunk += `${m.key ?? ''}\t${m.value}\n`;
      lines++;
      if (chunk.length >= 1 << 16) {
        if (!stdin.write(chunk)) await Promise.race([new Promise((r) => stdin.once('drain', r)), exited]);
        chunk = '';
      }
    }
    stdin.end(chunk);
    const code = await exited;
    const wait = new AbortController();
    await Promise.race([closed, sleep(5_000, undefined, { signal: wait.signal }).catch(() => undefined)]);
    wait.abort();
    if (timedOut) throw fail(`did not finish in ${timeoutMs} ms`);
    if (code !== 0) throw fail(`exited with ${String(code)}`);
    const sent = Number(/sent (\d+)/.exec(stdout)?.[1] ?? NaN);
    if (sent !== lines) throw fail(`reported ${sent} records sent for ${lines} lines`);
    return { sent, ms: Math.round(performance.now() - started) };
  } catch (err) {
    kill(); // a bad message half-way: nothing more is sent
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
