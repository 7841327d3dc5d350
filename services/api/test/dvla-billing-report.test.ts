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
  // Rates with all ten decimal places, and a cost past a million pounds.
  await insert(t.client, 'fact_letter_despatch', [
    despatch('2020-06-01', 'second', 'sorted', 1, '0.1234567891', 7),
    despatch('2020-06-01', 'second', 'sorted', 2, '0.65', 2_000_001),
  ]);
  // A day whose letters pass 2^53 - 1 (two loads, 2^53 + 1 together): no exact JSON number holds it.
  await insert(t.client, 'fact_letter_despatch', [despatch('2021-06-01', 'first', 'sorted', 1, '0.8', 4_503_599_627_370_497)]);
  await insert(t.client, 'fact_letter_despatch', [despatch('2021-06-01', 'first', 'sorted', 1, '0.8', 4_503_599_627_370_496)]);
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

  it('gives rates and costs as JSON numbers with every decimal place, the rows in the order of the CSV', async () => {
    const url = '/platform-stats/data-for-dvla-billing-report?start_date=2020-06-01&end_date=2020-06-30';
    const res = await get(t.app, url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual([
      { date: '2020-06-01', postage: 'second', cost_threshold: 'sorted', sheets: 1, rate: 0.1234567891, letters: 7, cost: 0.8641975237 },
      { date: '2020-06-01', postage: 'second', cost_threshold: 'sorted', sheets: 2, rate: 0.65, letters: 2_000_001, cost: 1_300_000.65 },
    ]);
    // The JSON body comes from the engine, the CSV from the rows: both say the same.
    const csv = await get(t.app, `${url}&format=csv`);
    expect(csv.body).toBe('\uFEFFdate,postage,cost_threshold,sheets,rate,letters,cost\n2020-06-01,second,sorted,1,0.1234567891,7,0.8641975237\n2020-06-01,second,sorted,2,0.65,2000001,1300000.65\n');
  });

  it('refuses a letters total past 2^53 - 1 rather than round it, in JSON and in CSV', async () => {
    for (const format of ['json', 'csv']) {
      const res = await get(t.app, `/platform-stats/data-for-dvla-billing-report?start_date=2021-06-01&end_date=2021-06-30&format=${format}`);
      expect(res.statusCode).toBe(500);
      expect(res.json().message).toBe('A total in this report is too large to be given exactly; narrow the date range');
    }
  });

  it('is empty for a range without despatches', async () => {
    const res = await get(t.app, '/platform-stats/data-for-dvla-billing-report?start_date=2020-04-01&end_date=2020-04-30');
    expect(res.json()).toEqual([]);
  });
});
