import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPORTS, get, openTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => t.close());

// Found by the property test: a range in year 0009 has financial year 8, whose 1 April must
// still be a four-digit date (and lies before any fact, so the answer is simply empty).
it.each(REPORTS)('%s answers years before 1970 without an error', async (path) => {
  for (const [start, end] of [['0009-01-04', '0009-03-04'], ['0000-01-01', '0000-03-01'], ['0999-04-01', '0999-05-01']] as const) {
    const res = await get(t.app, `${path}?start_date=${start}&end_date=${end}`);
    expect({ start, status: res.statusCode }).toEqual({ start, status: 200 });
  }
});
