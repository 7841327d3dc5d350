import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { loggedUrl, spawnService } from '../support/child.ts';
import { clientsEnv, operatorToken } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

// `notify-stats start` itself: the process that opens the connections and hands them to the
// all-in-one assembly (the other end-to-end tests start that assembly in their own process).

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('start', () => {
  it('runs ingest, rollups and api in one process, wired to each other', async () => {
    const start = spawnService('start', { ...clientsEnv(broker.brokers), LOG_LEVEL: 'info', DATA_DIR: tempDir('start'), PORT: '0', ROLLUP_INTERVAL_MS: '200' });
    const base = await waitFor('the api to listen', async () => loggedUrl(start, 'api listening', 'address'), 120_000);
    // Ready means the in-process consumer runs (not only that the API answers).
    const ready = await waitFor('/readyz 200', async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 200 && ((await res.json()) as { checks: Record<string, boolean> });
    });
    expect(ready.checks).toEqual({ clickhouse: true, ingest: true });
    // The status comes from the handles in this process: the ingest's stalls are known (a list,
    // where the API alone says null) and so is the rollups' last successful cycle.
    const status = await waitFor('a rollup cycle in the status', async () => {
      const res = await fetch(`${base}/admin/pipeline/status`, { headers: { authorization: `Bearer ${await operatorToken()}` } });
      const body = (await res.json()) as { rollups: { lastSuccessfulCycle: unknown }; ingest: { stalls: unknown } };
      return res.status === 200 && body.rollups.lastSuccessfulCycle !== null && body;
    });
    expect(status.ingest.stalls).toEqual([]);
    expect(start.output()).toContain('notify-stats is running');
  });
});
