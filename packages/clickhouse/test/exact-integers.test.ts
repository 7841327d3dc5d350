// 64-bit sums read from the engine stay exact or fail loudly (issue 15): never a rounded figure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrecisionLostError, assertExactIntegers, openClickhouse, queryRows, type Clickhouse } from '../src/client.ts';

let ch: Clickhouse;
beforeAll(async () => {
  ch = await openClickhouse({ path: mkdtempSync(path.join(tmpdir(), 'notify-stats-exact-')) });
});
afterAll(async () => ch?.close());

describe('integers read from the engine', () => {
  it('returns a 64-bit sum up to 2^53 - 1 exactly', async () => {
    const [row] = await queryRows<{ n: number }>(ch.client, 'SELECT sum(x) AS n FROM (SELECT toUInt64(4503599627370495) AS x UNION ALL SELECT toUInt64(4503599627370496))');
    expect(row?.n).toBe(9_007_199_254_740_991);
  });

  it('refuses a sum past 2^53 - 1 instead of rounding it', async () => {
    // 2^53 + 1 would parse as 2^53: without the check the caller would get a wrong figure.
    await expect(queryRows(ch.client, 'SELECT toUInt64(9007199254740993) AS chargeable_units')).rejects.toThrow(PrecisionLostError);
    await expect(queryRows(ch.client, 'SELECT toInt64(-9007199254740993) AS balance')).rejects.toThrow(/balance is larger than/);
  });

  it('leaves decimals (strings), fractions and safe integers alone', () => {
    expect(() => assertExactIntegers([{ cost: '99999999999999999999.12', ratio: 0.25, units: -9_007_199_254_740_991 }])).not.toThrow();
    expect(() => assertExactIntegers([{ units: 2 ** 53 }])).toThrow(PrecisionLostError);
  });
});
