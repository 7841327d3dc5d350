import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpsApp } from '@notify-stats/api';
import { TOPICS } from '@notify-stats/events';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { runCli } from '../support/child.ts';
import { produce, statusEvent, statusMessage } from '../support/events.ts';
import { clientsEnv, startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

let broker: TestBroker;
let p: TestPipeline;
let env: Record<string, string>;
let apiUrl: string;

const QUARANTINED = 'c0000000-0000-4000-8000-00000000000a';
const HEALTHY = 'c0000000-0000-4000-8000-00000000000b';
const DAY = '2024-09-02';
const range = `start_date=${DAY}&end_date=${DAY}`;

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers, { rejectServices: new Set([QUARANTINED]) });
  apiUrl = await p.listen();
  env = clientsEnv(broker.brokers);
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

const smsTotal = async () => (await p.get(`/platform-stats?${range}`)).json<{ sms: { total: number } }>().sms.total;
const event = (service_id: string) => statusEvent({ service_id, created_at: `${DAY}T08:00:00Z`, updated_at: `${DAY}T08:00:01Z` });

describe('dead letters', () => {
  it('redrives quarantined events once the quarantine is lifted, moving counts by exactly those events', async () => {
    await produce(p.producer, TOPICS.notificationStatus, [...Array.from({ length: 5 }, () => event(QUARANTINED)), ...Array.from({ length: 10 }, () => event(HEALTHY))].map(statusMessage));
    const bad = { key: 'k', value: '{"not": "an event"}' };
    await p.waitForFacts(await produce(p.producer, TOPICS.notificationStatus, [bad]));
    expect(await smsTotal()).toBe(10);

    const listed = await runCli(['dlq', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Array<{ id: string; reason: string; source: string }>;
    expect(letters).toHaveLength(6);
    expect(letters.filter((l) => l.reason.includes('quarantined'))).toHaveLength(5);
    expect(letters.every((l) => l.source.startsWith(`${TOPICS.notificationStatus}[`))).toBe(true);

    const shown = await runCli(['dlq', 'show', letters[0]!.id, '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: letters[0]!.id, headers: expect.objectContaining({ 'x-dlq-reason': letters[0]!.reason }) });

    // The fix: restart the worker without the quarantine, then redrive what it rejected.
    await p.restartIngest(undefined, { rejectServices: undefined });
    const dry = await runCli(['dlq', 'redrive', '--reason-contains', 'quarantined', '--dry-run', '--json'], env);
    expect(JSON.parse(dry.stdout).wouldRedrive).toHaveLength(5);
    expect(await smsTotal()).toBe(10);

    const redriven = await runCli(['dlq', 'redrive', '--reason-contains', 'quarantined', '--json'], env);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout).redriven).toHaveLength(5);
    await p.waitForFacts(Date.now());
    expect(await smsTotal()).toBe(15);

    // Once each: a second redrive skips them. The still-invalid message fails again and comes back
    // to the DLQ with its redrive count, where it stays.
    expect(JSON.parse((await runCli(['dlq', 'redrive', '--reason-contains', 'quarantined', '--json'], env)).stdout).redriven).toHaveLength(0);
    const again = JSON.parse((await runCli(['dlq', 'redrive', '--reason-contains', 'event_id', '--json'], env)).stdout);
    expect(again.redriven).toHaveLength(1);
    await p.waitForFacts(Date.now());
    const after = JSON.parse((await runCli(['dlq', 'list', '--reason-contains', 'event_id', '--json'], env)).stdout) as Array<{ redriveCount: number; redriven: boolean }>;
    expect(after.map((l) => [l.redriveCount, l.redriven]).sort()).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(await smsTotal()).toBe(15);
  });
});

describe('replay', () => {
  it('plans, refuses while the pipeline consumes, then replays through it with every report identical', async () => {
    const urls = [
      `/platform-stats?${range}`,
      `/platform-stats/daily-volumes-report?${range}`,
      `/platform-stats/daily-sms-provider-volumes-report?${range}`,
      `/platform-stats/data-for-billing-report?${range}`,
      `/platform-stats/data-for-dvla-billing-report?${range}`,
      `/platform-stats/volumes-by-service?${range}`,
    ];
    const bodies = async () => Promise.all(urls.map(async (u) => (await p.get(u)).body));
    const before = await bodies();

    const dry = await runCli(['replay', '--topic', 'all', '--from', 'earliest', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { messagesToReplay: number; plan: Array<{ to: number }> };
    expect(plan.messagesToReplay).toBeGreaterThanOrEqual(21);
    expect(plan.plan.every((x) => x.to === 0)).toBe(true);

    const refused = await runCli(['replay', '--topic', 'all', '--from', 'earliest', '--execute'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('active consumer');

    const replayed = await runCli(['replay', '--topic', 'all', '--from', 'earliest', '--pause-ingest', '--execute', '--api', apiUrl, '--json'], env);
    expect(replayed.code).toBe(0);
    // One document: the plan it carried out and how much was read again.
    expect(JSON.parse(replayed.stdout)).toMatchObject({ executed: true, messagesToReplay: plan.messagesToReplay, replayed: plan.messagesToReplay, complete: true });
    await p.waitForLagZero();
    await p.waitForFacts(Date.now());
    expect(await bodies()).toEqual(before);
  });
});

describe('backfill', () => {
  it('rebuilds a date range through the running pipeline, with progress, leaving reports unchanged', async () => {
    const before = (await p.get(`/platform-stats?${range}`)).body;
    const res = await runCli(['rollup', '--from', '2024-09-01', '--to', '2024-09-03', '--api', apiUrl, '--json'], env);
    expect(res.code).toBe(0);
    // One document on stdout (progress went to stderr): three days repaired (each its raw slices, then its correction).
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ from: '2024-09-01', to: '2024-09-03', via: apiUrl, days: 3, done: 3 });
    expect((await p.get(`/platform-stats?${range}`)).body).toBe(before);
    const refused = await runCli(['rollup', '--from', '2024-09-03', '--to', '2024-09-01', '--api', apiUrl], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--from must not be after --to');
    // Without the operator's secret the running pipeline refuses the backfill.
    const notOperator = await runCli(['rollup', '--from', '2024-09-01', '--to', '2024-09-01', '--api', apiUrl], { ...env, OPERATOR_CLIENT_SECRET: 'not-the-operator-secret-0123' });
    expect(notOperator.code).toBe(1);
    expect(notOperator.stderr).toContain('backfill refused: 403');
  });
});

describe('status', () => {
  it('shows lag while a backlog drains and none after, with dead-letter counts and freshness', async () => {
    await p.ingest.pause();
    await produce(p.producer, TOPICS.notificationStatus, Array.from({ length: 500 }, () => statusMessage(event(HEALTHY))));
    const during = JSON.parse((await runCli(['status', '--json', '--api', apiUrl], env)).stdout);
    expect(during.kafka.totalLag).toBe(500);
    await p.ingest.resume();
    await p.waitForLagZero();
    // Prometheus reads the operations server (METRICS_PORT), not the report port.
    const ops = await buildOpsApp(p.app);
    await waitFor('metrics to show lag 0', async () => {
      const metrics = (await ops.inject({ url: '/metrics' })).body;
      const lags = [...metrics.matchAll(/^notify_stats_ingest_consumer_lag\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
      return lags.length > 0 && lags.every((n) => n === 0);
    });
    await ops.close();
    const after = JSON.parse((await runCli(['status', '--json', '--api', apiUrl], env)).stdout);
    expect(after.kafka.totalLag).toBe(0);
    // Raw DLQ messages: 5 quarantined + 1 invalid, the invalid one again after its redrive, and the
    // two invalid originals once more when the replay read them again.
    expect(after.kafka.deadLetters[`${TOPICS.notificationStatus}.dlq`]).toBe(9);
    // The same dead letter read twice is listed once.
    expect(JSON.parse((await runCli(['dlq', 'list', '--json'], env)).stdout)).toHaveLength(7);
    expect(Date.parse(after.rollups.watermark)).toBeGreaterThan(Date.now() - 60_000);
  });
});
