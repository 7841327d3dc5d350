import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners, type Producer } from 'kafkajs';
import { createKafka } from '@notify-stats/kafka';
import { RollupsObserver } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { loggedUrl, spawnService, type ChildService } from '../support/child.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { clientsEnv, operatorToken } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

// Each service alone, as compose and production run them: its own process and (here, with no
// ClickHouse server) its own embedded engine, observable on its own operations port.

let broker: TestBroker;
let producer: Producer;
let env: Record<string, string>;

beforeAll(async () => {
  broker = await startTestBroker();
  const logger = createLogger('test');
  logger.level = 'error';
  producer = createKafka(broker.brokers, 'split-mode-test', logger).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  env = { ...clientsEnv(broker.brokers), LOG_LEVEL: 'info' };
});
afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
});

const opsUrl = (service: ChildService) => waitFor('the operations server to listen', async () => loggedUrl(service, 'operations server listening (/healthz, /readyz, /metrics)'), 120_000);
const metricValue = (metrics: string, name: string, labels = ''): number | undefined => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && !l.startsWith('#'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('ingest alone', () => {
  it('serves /healthz, /readyz once it consumes, and metrics that include its lag, sampled on a timer', async () => {
    const ingest = spawnService('ingest', { ...env, DATA_DIR: tempDir('split-ingest') });
    const url = await opsUrl(ingest);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await waitFor('ingest /readyz 200', async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 && ((await res.json()) as { checks: Record<string, boolean> });
    });
    expect(ready.checks).toEqual({ clickhouse: true, ingest: true });

    await produce(producer, TOPICS.notificationStatus, Array.from({ length: 20 }, () => statusMessage(statusEvent({}))));
    // The group's lag is sampled from Kafka on a timer, and comes back to 0 once the worker committed.
    const metrics = await waitFor('the sampled lag of the ingest group to show every partition at 0', async () => {
      const body = await (await fetch(`${url}/metrics`)).text();
      const lags = [...body.matchAll(/^notify_stats_consumer_group_lag\{topic="notify\.notification-status\.v1",[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
      return lags.length > 0 && lags.every((n) => n === 0) && (metricValue(body, 'notify_stats_ingest_events_total') ?? 0) > 0 && body;
    });
    expect(metrics).toMatch(/^notify_stats_build_info\{version="[^"]+",node="v[^"]+",command="ingest"\} 1$/m);
    expect(metricValue(metrics, 'notify_stats_pipeline_sample_timestamp_seconds', 'source="kafka"')).toBeGreaterThan(0);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});

describe('rollups alone', () => {
  it('is ready once its cycles succeed and shows the time of the last one and the watermark', async () => {
    const rollups = spawnService('rollups', { ...env, DATA_DIR: tempDir('split-rollups'), ROLLUP_INTERVAL_MS: '200' });
    const url = await opsUrl(rollups);
    const startedAt = Date.now() / 1000;
    await waitFor('rollups /readyz 200', async () => (await fetch(`${url}/readyz`)).status === 200);
    const metrics = await waitFor('the watermark metric', async () => {
      const body = await (await fetch(`${url}/metrics`)).text();
      return metricValue(body, 'notify_stats_freshness_watermark_timestamp_seconds') !== undefined && body;
    });
    expect(metricValue(metrics, 'notify_stats_rollup_last_success_timestamp_seconds')).toBeGreaterThan(startedAt - 120);
    expect(metricValue(metrics, 'notify_stats_rollup_cycles_total')).toBeGreaterThan(0);
    expect(metricValue(metrics, 'notify_stats_rollup_cycle_failures_total')).toBe(0);
    expect(metricValue(metrics, 'notify_stats_freshness_watermark_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(metrics).toMatch(/command="rollups"/);
  });

  it('says it is not ready when its cycles stop succeeding, and why', () => {
    let now = 1_000_000;
    const observer = new RollupsObserver(30_000, () => now);
    expect(observer.readiness()).toBe('no rollup cycle has finished yet');
    observer.onCycle({ ok: true, at: now, ms: 5 });
    expect(observer.readiness()).toBe(true);
    now += 20_000;
    observer.onCycle({ ok: false, at: now, error: new Error('engine refused the insert') });
    // One failure inside the window is not yet a lack of progress.
    expect(observer.readiness()).toBe(true);
    now += 20_000;
    expect(observer.readiness()).toBe('no successful rollup cycle for 40 s: engine refused the insert');
    observer.onCycle({ ok: true, at: now, ms: 5 });
    expect(observer.readiness()).toBe(true);
  });
});

describe('api alone', () => {
  it('answers /admin/pipeline/status from Kafka and ClickHouse, sends / to the dashboard and tags requests with an id', async () => {
    const api = spawnService('api', { ...env, DATA_DIR: tempDir('split-api'), PORT: '0' });
    const base = await waitFor('the api to listen', async () => loggedUrl(api, 'api listening', 'address'), 120_000);
    const status = await fetch(`${base}/admin/pipeline/status`, { headers: { authorization: `Bearer ${await operatorToken()}` } });
    expect(status.status).toBe(200);
    const body = (await status.json()) as { kafka: { groupId: string; totalLag: number }; rollups: { pending: number }; ingest: { stalls: unknown } };
    expect(body.kafka).toMatchObject({ groupId: 'notify-stats-ingest', totalLag: expect.any(Number) });
    expect(body.rollups.pending).toBe(0);
    expect(body.ingest.stalls).toBeNull();

    const home = await fetch(`${base}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/dashboard');
    const index = (await (await fetch(`${base}/`)).json()) as { dashboard: string; docs: string | null };
    expect(index).toMatchObject({ dashboard: '/dashboard', docs: '/docs' });
    const docs = await fetch(`${base}/docs`, { redirect: 'manual' });
    expect(docs.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/docs$/);

    // A request id comes back on every answer (the caller's own when it gives a sane one), and a
    // refused credential is logged with it, never with the token.
    const refused = await fetch(`${base}/platform-stats?apiKey=leaked-secret-value`, { headers: { authorization: 'Bearer not.a.token', 'x-request-id': 'trace-42' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-request-id')).toBe('trace-42');
    expect((await fetch(`${base}/healthz`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = await waitFor('the refusal in the log', async () => api.output().split('\n').find((l) => l.includes('"reqId":"trace-42"') && l.includes('request refused')));
    expect(JSON.parse(line)).toMatchObject({ status: 403, method: 'GET', route: '/platform-stats', url: '/platform-stats?apiKey=%5Bredacted%5D' });
    expect(api.output()).not.toContain('not.a.token');
    expect(api.output()).not.toContain('leaked-secret-value');
  });
});
