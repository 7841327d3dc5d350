import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, committedOffsets } from '@notify-stats/kafka';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { runCli, type CliResult } from '../support/child.ts';
import { produce, statusEvent, statusMessage } from '../support/events.ts';
import { clientsEnv, startPipeline, type TestPipeline } from '../support/pipeline.ts';

// The command line as scripts use it: one JSON document on stdout and the log on stderr, exit
// codes to act on, destructive commands that only show their plan until told to execute.

let broker: TestBroker;
let p: TestPipeline;
let apiUrl: string;
let env: Record<string, string>;

const DAY = '2024-09-02';

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers);
  apiUrl = await p.listen();
  env = {
    ...clientsEnv(broker.brokers),
    // The log is on, so that anything it writes to stdout would break the documents below.
    LOG_LEVEL: 'debug',
    // A ClickHouse of its own for the commands that open one (no pipeline answers at their --api).
    DATA_DIR: tempDir('cli'),
  };
  const events = Array.from({ length: 10 }, () => statusEvent({ created_at: `${DAY}T08:00:00Z`, updated_at: `${DAY}T08:00:01Z` }));
  await p.waitForFacts(await produce(p.producer, TOPICS.notificationStatus, [...events.map(statusMessage), { key: 'k', value: '{"not": "an event"}' }]));
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

/** The whole of stdout is one JSON document on one line. */
function onlyDocument(res: CliResult): unknown {
  const lines = res.stdout.split('\n').filter((l) => l !== '');
  expect(lines, `stdout: ${res.stdout}\nstderr: ${res.stderr.slice(-2000)}`).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

describe('conventions', () => {
  it('prints the version, and examples and environment variables in every help', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../services/cli/package.json', import.meta.url), 'utf8')) as { version: string };
    const v = await runCli(['--version'], env);
    expect([v.code, v.stdout.trim()]).toEqual([0, version]);
    for (const command of [[], ['status'], ['dlq', 'redrive'], ['report']]) {
      const help = await runCli([...command, '--help'], env);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout, command.join(' ')).toContain('Examples:\n  $ ');
    }
    const status = (await runCli(['status', '--help'], env)).stdout;
    for (const text of ['--brokers', '--api', 'KAFKA_BROKERS', 'NOTIFY_STATS_API', '--max-age']) expect(status).toContain(text);
  });

  it('refuses a bad number naming the flag, and prints nothing on stdout', async () => {
    for (const limit of ['x', '1.5', '0', '']) {
      const res = await runCli(['dlq', 'list', '--limit', limit], env);
      expect(res.code, limit).toBe(1);
      expect(res.stderr).toContain(`--limit must be a whole number from 1 (got ${JSON.stringify(limit)})`);
      expect(res.stdout).toBe('');
    }
    const limited = await runCli(['dlq', 'list', '--limit', '1'], env);
    expect(limited.stdout).toContain('1 dead letter(s).');
  });

  it('takes the brokers from --brokers before KAFKA_BROKERS', async () => {
    const wrongEnv = { ...env, KAFKA_BROKERS: '127.0.0.1:1' };
    const res = await runCli(['dlq', 'list', '--json', '--brokers', broker.brokers.join(',')], wrongEnv);
    expect(res.code).toBe(0);
    expect(onlyDocument(res)).toHaveLength(1);
  });
});

describe('status', () => {
  it('prints one document and exits 0 while the pipeline is healthy, 2 with the reasons when it is not', async () => {
    const healthy = await runCli(['status', '--json', '--api', apiUrl], env);
    const doc = onlyDocument(healthy) as { healthy: boolean; problems: string[]; kafka: { totalLag: number } };
    expect([healthy.code, doc.healthy, doc.problems]).toEqual([0, true, []]);

    await p.ingest.pause();
    try {
      await produce(p.producer, TOPICS.notificationStatus, Array.from({ length: 3 }, () => statusMessage(statusEvent({}))));
      const lagging = await runCli(['status', '--json', '--api', apiUrl, '--max-lag', '2'], env);
      const lagDoc = onlyDocument(lagging) as { healthy: boolean; problems: string[] };
      expect([lagging.code, lagDoc.healthy]).toEqual([2, false]);
      expect(lagDoc.problems).toEqual(['consumer lag 3 (more than --max-lag 2)']);
    } finally {
      await p.ingest.resume();
    }

    // No pipeline answers at --api: it reads a ClickHouse that has no watermark at all.
    const noWatermark = await runCli(['status', '--api', 'http://127.0.0.1:1', '--json'], env);
    expect(noWatermark.code).toBe(2);
    expect(onlyDocument(noWatermark)).toMatchObject({ healthy: false, problems: ['no freshness watermark yet'] });
    // Opening ClickHouse logged (debug), and all of it went to stderr.
    expect(noWatermark.stderr).toContain('"msg":"clickhouse ready"');
    const text = await runCli(['status', '--api', 'http://127.0.0.1:1'], env);
    expect(text.stdout).toContain('UNHEALTHY:\n  no freshness watermark yet');
    expect((await runCli(['status', '--api', 'http://127.0.0.1:1', '--max-age', '0'], env)).code).toBe(0);
  });
});

describe('destructive commands', () => {
  it('replay shows its plan and moves no offset without --execute', async () => {
    await p.waitForLagZero();
    const before = await committedOffsets(p.admin, INGEST_GROUP_ID, [TOPICS.notificationStatus]);
    const res = await runCli(['replay', '--topic', TOPICS.notificationStatus, '--from', 'earliest', '--json'], env);
    expect(res.code).toBe(0);
    const plan = onlyDocument(res) as { executed: boolean; messagesToReplay: number };
    expect(plan.executed).toBe(false);
    expect(plan.messagesToReplay).toBeGreaterThanOrEqual(14);
    expect(await committedOffsets(p.admin, INGEST_GROUP_ID, [TOPICS.notificationStatus])).toEqual(before);
    const text = await runCli(['replay', '--topic', TOPICS.notificationStatus, '--from', 'earliest'], env);
    expect(text.stdout).toContain('Nothing changed: pass --execute to rewind.');
  });

  it('dlq redrive without a filter shows what it would do, and redrives only with --execute', async () => {
    const plan = await runCli(['dlq', 'redrive', '--json'], env);
    expect(plan.code).toBe(0);
    expect(onlyDocument(plan)).toMatchObject({ executed: false, wouldRedrive: [expect.objectContaining({ redriven: false })] });
    const listed = onlyDocument(await runCli(['dlq', 'list', '--json'], env)) as Array<{ redriven: boolean }>;
    expect(listed.map((l) => l.redriven)).toEqual([false]);

    const done = await runCli(['dlq', 'redrive', '--execute', '--json'], env);
    expect(done.code).toBe(0);
    expect((onlyDocument(done) as { redriven: unknown[] }).redriven).toHaveLength(1);
    const after = onlyDocument(await runCli(['dlq', 'list', '--json'], env)) as Array<{ redriven: boolean }>;
    expect(after.some((l) => l.redriven)).toBe(true);
  });
});

describe('day one', () => {
  it('token signs what the API accepts, as a 30-second client token or a session token', async () => {
    const plain = await runCli(['token'], env);
    expect(plain.code).toBe(0);
    const token = plain.stdout.trim();
    expect((await fetch(`${apiUrl}/platform-stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const session = onlyDocument(await runCli(['token', 'operator', '--ttl', '10m', '--json'], env)) as { token: string; expires_in: number; kind: string };
    expect([session.kind, session.expires_in]).toEqual(['session', 600]);
    const status = await fetch(`${apiUrl}/admin/pipeline/status`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(status.status).toBe(200);

    const tooLong = await runCli(['token', '--ttl', '2h'], env);
    expect([tooLong.code, tooLong.stdout]).toEqual([1, '']);
    expect(tooLong.stderr).toContain('--ttl must be at most 15m');
    const wrongSecret = (await runCli(['token'], { ...env, ADMIN_CLIENT_SECRET: 'another-secret-0123456789' })).stdout.trim();
    expect((await fetch(`${apiUrl}/platform-stats`, { headers: { authorization: `Bearer ${wrongSecret}` } })).status).toBe(403);
  });

  it('report fetches a report as JSON or CSV with a fresh token, and says the API\'s 400', async () => {
    const json = await runCli(['report', 'platform-stats', '--from', DAY, '--to', DAY, '--api', apiUrl], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await p.get(`/platform-stats?start_date=${DAY}&end_date=${DAY}`)).json());
    expect(json.stderr).toMatch(/X-Data-As-Of: \d{4}-/);

    const csv = await runCli(['report', 'daily-volumes', '--from', DAY, '--to', DAY, '--format', 'csv', '--api', apiUrl], { ...env, NOTIFY_STATS_API: 'http://127.0.0.1:1' });
    expect(csv.code).toBe(0);
    const body = (await p.get(`/platform-stats/daily-volumes-report?start_date=${DAY}&end_date=${DAY}&format=csv`)).body;
    expect(body).toContain('sms_totals');
    expect(csv.stdout).toBe(body.endsWith('\n') ? body : `${body}\n`);

    const bad = await runCli(['report', 'daily-volumes', '--from', '2024-9-1', '--to', DAY], { ...env, NOTIFY_STATS_API: apiUrl });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('daily-volumes: 400 Input must be a date in the format: YYYY-MM-DD');
    expect(bad.stdout).toBe('');
    const unknown = await runCli(['report', 'nope'], env);
    expect(unknown.stderr).toContain('unknown report nope: one of platform-stats, billing,');
  });
});
