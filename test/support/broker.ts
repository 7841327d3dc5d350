import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalKafka, type LocalKafka } from '@notify-stats/local-kafka';

export interface TestBroker {
  brokers: string[];
  local?: LocalKafka;
  stop(): Promise<void>;
}

/**
 * A fresh single-node broker per test file, so topics (whose names the contract fixes) start
 * empty for every file. KAFKA_BROKERS points the suite at an existing cluster instead.
 */
export async function startTestBroker(): Promise<TestBroker> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS.split(','), stop: async () => undefined };
  }
  const local = await startLocalKafka({ dataDir: tempDir('kafka'), port: 0 });
  return { brokers: local.brokers, local, stop: () => local.stop() };
}

export const tempDir = (name: string) => mkdtempSync(path.join(tmpdir(), `notify-stats-${name}-`));
