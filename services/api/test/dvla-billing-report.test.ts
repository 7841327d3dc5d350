import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, insert, openTestApp, type TestApp } from './helpers.ts';

const despatch = (day: string, postage: string, cost_threshold: string, sheets: number, rate: string, letters: number) => ({
  day,
  postage,
  cost_threshold,
  sheets,
  rate,
  letters,
});

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'fact_letter_despatch', [
    despatch('2019-05-01', 'second', 'unsorted', 1, '0.35', 1),
    despatch('2019-05-01', 'second', 'sorted', 2, '0.5', 10),
    despatch('2019-05-01', 'second', 'sorted', 1, '0.5', 4), // same rate: fewer sheets first
    despatch('2019-05-01', 'second', 'sorted', 3, '0.35', 2), // lower rate first, whatever the sheets
    despatch('2019-05-01', 'first', 'sorted', 1, '0.8', 4),
    despatch('2019-05-01', 'europe', 'unsorted', 1, '1.2', 3),
    despatch('2019-05-01', 'europe', 'sorted', 1, '1.2', 2),
    despatch('2019-04-30', 'rest-of-world', 'sorted', 1, '0.1', 3),
    despatch('2019-04-30', 'economy', 'sorted', 1, '0.3', 1),
    despatch('2019-03-31', 'first', 'sorted', 1, '0.8', 9), // previous financial year, outside the range
  ]);
  // A second load of the same group (another day build) adds up.
  await insert(t.client, 'fact_letter_despatch', [despatch('2019-05-01', 'first', 'sorted', 1, '0.8', 1)]);
});
afterAll(() => t.close());

describe('GET /platform-stats/data-for-dvla-billing-report', () => {
  it('lists despatches by date, postage, cost threshold, rate and sheets with exact cost', async () => {
    const res = await get(t.app, '/platform-stats/data-for-dvla-billing-report?start_date=2019-04-01&end_date=2019-05-31');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { date: '2019-04-30', postage: 'economy', cost_threshold: 'sorted', sheets: 1, rate: 0.3, letters: 1, cost: 0.3 },
      { date: '2019-04-30', postage: 'rest-of-world', cost_threshold: 'sorted', sheets: 1, rate: 0.1, letters: 3, cost: 0.3 }, // not 0.30000000000000004
      { date: '2019-05-01', postage: 'europe', cost_threshold: 'sorted', sheets: 1, rate: 1.2, letters: 2, cost: 2.4 },
      { date: '2019-05-01', postage: 'europe', cost_threshold: 'unsorted', sheets: 1, rate: 1.2, letters: 3, cost: 3.6 },
      { date: '2019-05-01', postage: 'first', cost_threshold: 'sorted', sheets: 1, rate: 0.8, letters: 5, cost: 4 },
      { date: '2019-05-01', postage: 'second', cost_threshold: 'sorted', sheets: 3, rate: 0.35, letters: 2, cost: 0.7 },
      { date: '2019-05-01', postage: 'second', cost_threshold: 'sorted', sheets: 1, rate: 0.5, letters: 4, cost: 2 },
      { date: '2019-05-01', postage: 'second', cost_threshold: 'sorted', sheets: 2, rate: 0.5, letters: 10, cost: 5 },
      { date: '2019-05-01', postage: 'second', cost_threshold: 'unsorted', sheets: 1, rate: 0.35, letters: 1, cost: 0.35 },
    ]);
  });

  it('answers CSV on ?format=csv', async () => {
    const res = await get(t.app, '/platform-stats/data-for-dvla-billing-report?start_date=2019-04-30&end_date=2019-04-30&format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('\uFEFFdate,postage,cost_threshold,sheets,rate,letters,cost\n2019-04-30,economy,sorted,1,0.3,1,0.3\n2019-04-30,rest-of-world,sorted,1,0.1,3,0.3\n');
  });

  it('is empty for a range without despatches', async () => {
    const res = await get(t.app, '/platform-stats/data-for-dvla-billing-report?start_date=2020-04-01&end_date=2020-04-30');
    expect(res.json()).toEqual([]);
  });
});
