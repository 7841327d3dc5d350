// Report bodies are sent compressed as Accept-Encoding asks (gzip, brotli, q-values, identity),
// each representation with its own ETag (so a 304 is given only for the bytes the client holds),
// and Vary: Accept-Encoding.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateCoding } from '../src/http/content-coding.ts';
import { get, insert, openTestApp, smsFact, type TestApp } from './helpers.ts';

const SERVICE = 'b0000000-0000-4000-8000-000000000002';
const URL = '/platform-stats/daily-sms-provider-volumes-report?start_date=2024-04-01&end_date=2024-04-30';

describe.each([
  ['cached', { factsVersion: async () => 'v1' }],
  ['uncached', { factsVersion: null }],
])('report bodies by Accept-Encoding (%s)', (_mode, overrides) => {
  let t: TestApp;
  let plain: { body: Buffer; etag: string };

  beforeAll(async () => {
    t = await openTestApp(overrides);
    await insert(
      t.client,
      'fact_billing',
      Array.from({ length: 20 }, (_, i) => smsFact({ day: `2024-04-${String(i + 1).padStart(2, '0')}`, service_id: SERVICE, units: 2, rate: '0.0197', sent: i + 1 })),
    );
    const res = await get(t.app, URL);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((res.json() as unknown[]).length).toBe(20);
    plain = { body: res.rawPayload, etag: String(res.headers.etag) };
  });
  afterAll(() => t.close());

  it.each([
    ['gzip', 'gzip', gunzipSync],
    ['br', 'br', brotliDecompressSync],
    ['gzip, deflate, br', 'br', brotliDecompressSync],
    ['gzip;q=1, br;q=0.5', 'gzip', gunzipSync],
    ['br;q=0.2, gzip;q=0.8, identity;q=0.1', 'gzip', gunzipSync],
    ['*', 'br', brotliDecompressSync],
    ['x-gzip', 'gzip', gunzipSync],
  ] as const)('Accept-Encoding: %s gives %s, the same JSON, its own ETag and Vary', async (header, coding, decode) => {
    const res = await get(t.app, URL, { 'accept-encoding': header });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(String(res.headers.vary)).toMatch(/accept-encoding/);
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    expect(res.rawPayload.length).toBeLessThan(plain.body.length);
    expect(decode(res.rawPayload).equals(plain.body)).toBe(true);
    expect(res.headers.etag).not.toBe(plain.etag);
  });

  it.each(['identity', 'gzip;q=0, br;q=0', 'compress', 'identity;q=0, *;q=0'])('Accept-Encoding: %s gives the body uncompressed', async (header) => {
    const res = await get(t.app, URL, { 'accept-encoding': header });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.rawPayload.equals(plain.body)).toBe(true);
    expect(res.headers.etag).toBe(plain.etag);
  });

  it('answers 304 to If-None-Match only with the ETag of the representation it would send', async () => {
    const gz = await get(t.app, URL, { 'accept-encoding': 'gzip' });
    const br = await get(t.app, URL, { 'accept-encoding': 'br' });
    const gzTag = String(gz.headers.etag);
    expect(new Set([gzTag, String(br.headers.etag), plain.etag]).size).toBe(3);

    const again = await get(t.app, URL, { 'accept-encoding': 'gzip', 'if-none-match': gzTag });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    expect(again.headers.etag).toBe(gzTag);
    expect(String(again.headers.vary)).toMatch(/accept-encoding/);
    expect((await get(t.app, URL, { 'accept-encoding': 'gzip', 'if-none-match': `W/${gzTag}` })).statusCode).toBe(304);
    expect((await get(t.app, URL, { 'if-none-match': plain.etag })).statusCode).toBe(304);
    expect((await get(t.app, URL, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })).statusCode).toBe(304);

    // The gzip tag does not stand for the brotli or the plain bytes.
    const other = await get(t.app, URL, { 'accept-encoding': 'br', 'if-none-match': gzTag });
    expect(other.statusCode).toBe(200);
    expect(other.headers['content-encoding']).toBe('br');
    const none = await get(t.app, URL, { 'if-none-match': gzTag });
    expect(none.statusCode).toBe(200);
    expect(none.rawPayload.equals(plain.body)).toBe(true);
  });

  it('compresses CSV too, under its own ETag', async () => {
    const csv = await get(t.app, URL, { accept: 'text/csv', 'accept-encoding': 'gzip' });
    expect(csv.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(csv.rawPayload).toString('utf8').split('\n')[0]).toContain('sms_totals');
    expect(csv.headers.etag).not.toBe(String((await get(t.app, URL, { 'accept-encoding': 'gzip' })).headers.etag));
  });
});

describe('negotiateCoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['GZIP', 'gzip'],
    ['gzip;q=0.5', 'gzip'],
    ['br;q=0.5, gzip;q=0.5', 'br'],
    ['br;q=0.500, gzip;q=0.501', 'gzip'],
    ['*;q=0.3, gzip;q=0', 'br'],
    ['*;q=0', 'identity'],
    ['br;q=0, gzip;q=0, identity;q=0', 'identity'],
    ['gzip ; q=0.7 , br ; q=0.6', 'gzip'],
    ['identity, gzip;q=0.5', 'identity'],
  ] as const)('%s -> %s', (header, expected) => {
    expect(negotiateCoding(header)).toBe(expected);
  });
});
