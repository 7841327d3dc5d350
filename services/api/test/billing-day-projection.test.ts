// The daily sms provider volumes and the daily volumes are answered from fact_billing's
// projection billing_by_day_provider (migration 0010). Against an oracle in plain TypeScript over
// the rows inserted: signed rows in several parts (one INSERT each), keys that sum to zero, before
// and after the parts are merged (a merge rebuilds the projection from the summed rows), and the
// engine made to refuse an answer that did not read the projection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays } from '@notify-stats/london';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import { dailySmsProviderVolumes, dailyVolumes } from '../src/queries/billing-facts.ts';
import { insert, openTestApp, ZERO_UUID, type TestApp } from './helpers.ts';

const FIRST = '2024-03-28';
const RANGE = { start: FIRST, end: addDays(FIRST, 9) };
const SERVICES = ['c2000000-0000-4000-8000-000000000001', 'c2000000-0000-4000-8000-000000000002'];
const PROVIDERS = { sms: ['mmg', 'firetext'], email: ['ses'], letter: ['dvla'] } as const;
const RATES = ['0.0197', '0.0227', '0.35'];

interface Fact { day: string; service: string; type: keyof typeof PROVIDERS; provider: string; rate: string; sent: number; billable: number; chargeable: number }

const fact = fc.record({
  // Two days outside the range on either side, so the range's ends are tested too.
  offset: fc.integer({ min: -2, max: 11 }),
  service: fc.constantFrom(...SERVICES),
  type: fc.constantFrom('sms' as const, 'email' as const, 'letter' as const),
  pick: fc.nat(),
  rate: fc.constantFrom(...RATES),
  sent: fc.integer({ min: -3, max: 5 }),
  billable: fc.integer({ min: -3, max: 5 }),
  chargeable: fc.integer({ min: -3, max: 5 }),
}).map((f): Fact => ({ ...f, day: addDays(FIRST, f.offset), provider: PROVIDERS[f.type][f.pick % PROVIDERS[f.type].length] as string }));

// Parts of signed rows; each part may be followed by one that takes some of its rows back, so
// that keys sum to zero across parts.
const parts = fc.array(fc.tuple(fc.array(fact, { minLength: 1, maxLength: 12 }), fc.boolean()), { minLength: 1, maxLength: 5 }).map((ps) =>
  ps.flatMap(([rows, takeBack]) => (takeBack ? [rows, rows.filter((_, i) => i % 2 === 0).map((r) => ({ ...r, sent: -r.sent, billable: -r.billable, chargeable: -r.chargeable }))] : [rows])),
);

// Money compared exactly as integers of 10^-10 (the facts' Decimal(38, 10)).
const scaled = (s: string) => {
  const [whole = '0', frac = ''] = s.replace('-', '').split('.');
  const n = BigInt(whole) * 10n ** 10n + BigInt(frac.padEnd(10, '0'));
  return s.startsWith('-') ? -n : n;
};

function sumBy(rows: Fact[], key: (r: Fact) => string, values: (r: Fact) => bigint[]): [string, string[]][] {
  const out = new Map<string, bigint[]>();
  for (const r of rows.filter((f) => f.day >= RANGE.start && f.day <= RANGE.end)) {
    const v = values(r);
    out.set(key(r), (out.get(key(r)) ?? v.map(() => 0n)).map((x, i) => x + (v[i] as bigint)));
  }
  return [...out].filter(([, v]) => v.some((x) => x !== 0n)).map(([k, v]): [string, string[]] => [k, v.map(String)]).sort();
}

const oracle = {
  providers: (rows: Fact[]) =>
    sumBy(rows.filter((f) => f.type === 'sms'), (f) => `${f.day}|${f.provider}`, (f) => [f.sent, f.billable, f.chargeable].map(BigInt).concat(BigInt(f.chargeable) * scaled(f.rate))),
  volumes: (rows: Fact[]) =>
    sumBy(rows, (f) => f.day, (f) => {
      const is = (t: Fact['type'], n: number) => BigInt(f.type === t ? n : 0);
      return [is('sms', f.sent), is('sms', f.billable), is('sms', f.chargeable), is('email', f.sent), is('letter', f.sent), is('letter', f.billable)];
    }),
};

async function answers(client: ClickHouseClient) {
  return {
    providers: (await dailySmsProviderVolumes(client, RANGE))
      .map((r): [string, string[]] => [`${r.day}|${r.provider}`, [r.sms_totals, r.sms_fragment_totals, r.sms_chargeable_units].map(String).concat(String(scaled(r.sms_cost)))])
      .sort(),
    volumes: (await dailyVolumes(client, RANGE))
      .map((r): [string, string[]] => [r.day, [r.sms_totals, r.sms_fragment_totals, r.sms_chargeable_units, r.email_totals, r.letter_totals, r.letter_sheet_totals].map(String)])
      .sort(),
  };
}

// On a few rows the engine reads the facts themselves (no fewer marks to read in the projection):
// preferred makes it take the projection wherever the query can be answered from it, force
// fails the query where it cannot. A SETTINGS clause, not clickhouse_settings: the embedded
// engine's connection turns those into SETs that stay on for every later query.
const PROJECTION_ONLY = "SETTINGS preferred_optimize_projection_name = 'billing_by_day_provider', force_optimize_projection_name = 'billing_by_day_provider'";

/** The client, except that a query of fact_billing fails unless the engine answers it from the projection. */
function projectionOnly(client: ClickHouseClient): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (p: Parameters<ClickHouseClient['query']>[0]) => target.query(/\bFROM fact_billing\b/.test(p.query) ? { ...p, query: `${p.query}\n${PROJECTION_ONLY}` } : p);
    },
  });
}

const row = (f: Fact) => ({
  day: f.day, service_id: f.service, template_id: ZERO_UUID, notification_type: f.type, provider: f.provider, rate_multiplier: 1, international: false,
  rate: f.rate, postage: f.type === 'letter' ? 'second' : '', sheets: f.type === 'letter' ? 1 : 0, notifications_sent: f.sent, billable_units: f.billable, chargeable_units: f.chargeable,
});

const ALWAYS: Fact = { day: RANGE.end, service: SERVICES[0] as string, type: 'sms', provider: 'reach', rate: '0.0197', sent: 1, billable: 1, chargeable: 1 };

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe("fact_billing's projection per day, type and provider", () => {
  it('answers both daily reports as the rows add up, before and after a merge', async () => {
    await fc.assert(
      fc.asyncProperty(parts, async (ps) => {
        await t.client.command({ query: 'TRUNCATE TABLE fact_billing' });
        // A row no other cancels, so the range always has a part: where the engine finds no part
        // to read (rows that sum to zero are dropped as they are written), it reads no projection.
        await insert(t.client, 'fact_billing', [row(ALWAYS)]);
        for (const p of ps) await insert(t.client, 'fact_billing', p.map(row));
        const rows = [ALWAYS, ...ps.flat()];
        const expected = { providers: oracle.providers(rows), volumes: oracle.volumes(rows) };
        expect(await answers(projectionOnly(t.client))).toEqual(expected);
        await t.client.command({ query: 'OPTIMIZE TABLE fact_billing FINAL' });
        expect(await answers(projectionOnly(t.client))).toEqual(expected);
      }),
      { numRuns: 25, seed: 20261206 },
    );
  });

  it('is what the engine reads: a query of the facts it cannot answer from the projection is refused', async () => {
    // The check above has teeth: the same setting refuses a sum the projection does not hold.
    await t.client.command({ query: 'TRUNCATE TABLE fact_billing' });
    await insert(t.client, 'fact_billing', [row(ALWAYS)]);
    const read = async (query: string) => (await projectionOnly(t.client).query({ query, format: 'JSONEachRow' })).json();
    await expect(read('SELECT day, sum(notifications_sent) FROM fact_billing GROUP BY day')).resolves.toHaveLength(1);
    await expect(read('SELECT service_id, sum(notifications_sent) FROM fact_billing GROUP BY service_id')).rejects.toThrow(/billing_by_day_provider/);
  });
});
