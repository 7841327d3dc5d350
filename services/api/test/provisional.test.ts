// X-Data-Provisional (docs/restatements.md): whether a report's range holds a day younger than
// RESTATEMENT_AGE_DAYS (2 by default), whose figures may still move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInLondon } from '@notify-stats/london';
import { buildApp } from '../src/app.ts';
import { ADMIN, get, openTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

const provisional = async (path: string, start: string, end: string) =>
  (await get(t.app, `${path}?start_date=${start}&end_date=${end}`)).headers['x-data-provisional'];

describe('X-Data-Provisional', () => {
  it('is false for a range of final days, true once it reaches the day two days before today in London', async () => {
    const today = todayInLondon();
    for (const path of ['/platform-stats', '/platform-stats/daily-volumes-report', '/platform-stats/delivery-latency-report']) {
      expect(await provisional(path, '2024-04-01', '2024-04-30'), path).toBe('false');
      expect(await provisional(path, addDays(today, -10), addDays(today, -3)), path).toBe('false');
      expect(await provisional(path, addDays(today, -10), addDays(today, -2)), path).toBe('true');
      expect(await provisional(path, today, today), path).toBe('true');
    }
  });

  it('follows the configured age', async () => {
    // One engine per process: a second app on the same one.
    const strict = await buildApp({ clickhouse: t.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, provisionalAgeDays: 0, authFailuresPerMinute: 0 });
    try {
      const yesterday = addDays(todayInLondon(), -1);
      const res = await get(strict, `/platform-stats?start_date=${yesterday}&end_date=${yesterday}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-data-provisional']).toBe('false');
      expect(await provisional('/platform-stats', yesterday, yesterday)).toBe('true');
    } finally {
      await strict.close();
    }
  });
});
