// queryDays, the frame of every fact report, on the embedded engine (its own folder and process).
// The SQL echoes the parameters it was given, so what the engine saw is what comes back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate, openClickhouse, type Clickhouse } from '@notify-stats/clickhouse';
import { queryDays } from '../src/queries/query-days.ts';

let dir: string;
let ch: Clickhouse;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-query-days-'));
  ch = await openClickhouse({ path: dir });
  // queryDays reads whether the monthly sums are filled (pipeline_state).
  await migrate(ch.client);
});
afterAll(async () => {
  await ch?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const echo = z.object({ start: z.string(), end: z.string(), n: z.number() });
const SQL = 'SELECT toString({start: Date}) AS start, toString({end: Date}) AS end, {n: UInt8} AS n';
const ask = (start: string, end: string, params: Record<string, unknown> = { n: 7 }) =>
  queryDays(ch.client, { sql: SQL, range: { start, end }, params, row: echo });

it('binds the range and the other parameters as typed placeholders, and parses the rows', async () => {
  expect(await ask('2024-04-01', '2024-04-30')).toEqual([{ start: '2024-04-01', end: '2024-04-30', n: 7 }]);
});

it('narrows the range to the days the engine can hold', async () => {
  expect(await ask('0001-01-01', '9999-12-31')).toEqual([{ start: '1970-01-01', end: '2149-06-06', n: 7 }]);
});

it('answers a range with no fact day at all with no rows, without asking the engine', async () => {
  // n: 300 is no UInt8: had the query run, the engine would have refused it.
  expect(await ask('1900-01-01', '1969-12-31', { n: 300 })).toEqual([]);
});

it('lets no other parameter stand in for the range, and refuses a row of the wrong shape', async () => {
  expect(await ask('2024-04-01', '2024-04-30', { n: 7, start: '2000-01-01' })).toEqual([{ start: '2024-04-01', end: '2024-04-30', n: 7 }]);
  await expect(queryDays(ch.client, { sql: SQL, range: { start: '2024-04-01', end: '2024-04-30' }, params: { n: 7 }, row: z.object({ n: z.string() }) })).rejects.toThrow();
  await expect(ask('2024-04-31', '2024-05-01')).rejects.toThrow();
});
