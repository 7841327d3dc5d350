import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, operatorToken, type TestApp } from './helpers.ts';

// POST /admin/rollups/backfill checks its dates as the reports do (reports.md section 3 messages),
// then its size, and hands the rollups service the validated days.
const calls: Array<[string, string, { fromRaw?: boolean } | undefined]> = [];
let t: TestApp;
beforeAll(async () => {
  t = await openTestApp({
    rollups: {
      backfill: async (from, to, _progress, options) => void calls.push([from, to, options]),
      status: async () => ({}),
    },
  });
});
afterAll(async () => t?.close());

const backfill = async (query: string) =>
  t.app.inject({ method: 'POST', url: `/admin/rollups/backfill?${query}`, headers: { authorization: `Bearer ${await operatorToken()}` } });

describe('backfill query', () => {
  it('answers bad dates with the reports messages, first failure only, and starts nothing', async () => {
    const cases: Array<[string, string]> = [
      ['from=2024-5-01&to=x', 'Input must be a date in the format: YYYY-MM-DD'],
      ['from=2024-05-01&to=2024-02-30', 'Input must be a date in the format: YYYY-MM-DD'],
      ['from=2024-05-02&to=2024-05-01', 'Start date must be before end date'],
      ['from=2000-01-01&to=2010-02-17', 'A backfill covers at most 3700 days'],
    ];
    for (const [query, message] of cases) {
      const res = await backfill(query);
      expect({ query, status: res.statusCode, body: res.json() }).toEqual({ query, status: 400, body: { message, status_code: 400 } });
    }
    expect(calls).toEqual([]);
  });

  it('hands over the validated days and the raw flag', async () => {
    expect((await backfill('from=2000-01-01&to=2010-02-16')).statusCode).toBe(200); // exactly 3700 days
    expect((await backfill('from=2024-05-01&to=2024-05-01&from_raw=true')).statusCode).toBe(200);
    expect((await backfill('from=2024-05-01&to=2024-05-02&from_raw=false')).statusCode).toBe(200);
    expect(calls).toEqual([
      ['2000-01-01', '2010-02-16', { fromRaw: false }],
      ['2024-05-01', '2024-05-01', { fromRaw: true }],
      ['2024-05-01', '2024-05-02', { fromRaw: false }],
    ]);
  });
});
