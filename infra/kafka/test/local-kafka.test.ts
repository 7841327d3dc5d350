import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKafka, type LocalKafka } from '../src/index.ts';
import { isListening } from '../src/ports.ts';

describe('startLocalKafka', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-kafka-test-'));
  let kafka: LocalKafka;

  beforeAll(async () => {
    kafka = await startLocalKafka({ dataDir, port: 0 });
  });

  afterAll(async () => {
    await kafka?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves produce and consume on the chosen port', async () => {
    expect(kafka.port).toBeGreaterThan(0);
    expect(kafka.brokers).toEqual([`127.0.0.1:${kafka.port}`]);

    const client = new Kafka({ clientId: 'local-kafka-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    const topic = 'local-kafka-roundtrip';
    const admin = client.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true);
    await admin.disconnect();

    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });
    await producer.disconnect();

    const consumer = client.consumer({ groupId: 'local-kafka-test' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    try {
      expect(await received).toBe('hello kafka');
    } finally {
      await consumer.disconnect();
    }
  });

  it('rejects a port that is already taken before launching java', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const unusedDir = join(dataDir, 'unused');
    try {
      await expect(startLocalKafka({ dataDir: unusedDir, port: address.port })).rejects.toThrow(
        `port ${address.port} is already in use`,
      );
      expect(existsSync(unusedDir)).toBe(false); // failed before writing config or launching java
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("keeps serving through a SIGINT (a terminal's Ctrl-C reaches the whole group), for its owner to stop it last", async () => {
    expect(kafka.pid).toBeGreaterThan(0);
    process.kill(kafka.pid as number, 'SIGINT');
    // A JVM that honours SIGINT runs its shutdown hooks and exits (code 130) within seconds.
    const exitedSoon = await Promise.race([kafka.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    expect(exitedSoon).toBe(false);
    const admin = new Kafka({ clientId: 'local-kafka-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain('local-kafka-roundtrip');
    } finally {
      await admin.disconnect();
    }
  });

  it('stop() shuts the broker down, closes the port and is idempotent', async () => {
    expect(await isListening(kafka.port)).toBe(true);
    await Promise.all([kafka.stop(), kafka.stop()]);
    await kafka.stop();
    expect(await isListening(kafka.port)).toBe(false);
  });
});

describe('cluster ids', () => {
  it('never start with "-", which the storage tool would take for an option', async () => {
    const { newClusterId } = await import('../src/config.ts');
    // 0xf8 encodes as '-' in the first base64url character; the second draw does not.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift() as Buffer);
    expect(id.startsWith('-')).toBe(false);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  });
});
