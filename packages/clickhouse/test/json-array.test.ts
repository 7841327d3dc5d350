// A report body the engine renders itself (queryJsonArray): the values JSON.stringify would write
// for the same rows, and integers exact or refused, as queryRows gives them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrecisionLostError, openClickhouse, queryJsonArray, type Clickhouse } from '../src/client.ts';

let dir: string;
let ch: Clickhouse;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-json-array-'));
  ch = await openClickhouse({ path: dir });
});
afterAll(async () => {
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('queryJsonArray', () => {
  it('renders rows as one JSON array: decimals as numbers with their exact digits, dates and strings as JSON strings', async () => {
    const json = await queryJsonArray(
      ch.client,
      `SELECT toDate('2020-01-01') + number AS day, concat('a/b "', toString(number), '"\n') AS name,
              toDecimal128('0.1000000000', 10) * (number + 1) AS rate, toDecimal128('-1300000.65', 10) AS cost, toInt64(number) - 1 AS n
       FROM numbers(2) WHERE number < {below: UInt32} ORDER BY number`,
      { below: 2 },
      ['n'],
    );
    expect(json.toString()).toBe('[{"day":"2020-01-01","name":"a/b \\"0\\"\\n","rate":0.1,"cost":-1300000.65,"n":-1},{"day":"2020-01-02","name":"a/b \\"1\\"\\n","rate":0.2,"cost":-1300000.65,"n":0}]');
    expect(JSON.parse(json.toString())).toEqual([
      { day: '2020-01-01', name: 'a/b "0"\n', rate: 0.1, cost: -1300000.65, n: -1 },
      { day: '2020-01-02', name: 'a/b "1"\n', rate: 0.2, cost: -1300000.65, n: 0 },
    ]);
  });

  it('is [] without rows', async () => {
    expect(await queryJsonArray(ch.client, 'SELECT number AS n FROM numbers(3) WHERE number > {above: UInt32}', { above: 5 }, ['n'])).toEqual(Buffer.from('[]'));
  });

  it('refuses an integer column past 2^53 - 1 either way, and allows one up to it', async () => {
    const read = (n: string) => queryJsonArray(ch.client, `SELECT toInt64(${n}) AS n, 'x' AS s`, {}, ['n']);
    await expect(read('9007199254740993')).rejects.toThrow(PrecisionLostError);
    await expect(read('-9007199254740993')).rejects.toThrow(/n is larger than/);
    expect(JSON.parse(String(await read('9007199254740991')))).toEqual([{ n: 9_007_199_254_740_991, s: 'x' }]);
    expect(JSON.parse(String(await read('-9007199254740991')))).toEqual([{ n: -9_007_199_254_740_991, s: 'x' }]);
  });

  it('checks only the integer columns it is given, and not text that looks like one', async () => {
    const json = await queryJsonArray(ch.client, `SELECT '"n":99999999999999999' AS s, toUInt64(99999999999999999) AS big`, {}, ['n', 's']);
    expect(JSON.parse(json.toString())).toEqual([{ s: '"n":99999999999999999', big: 99999999999999999 }]);
  });
});
