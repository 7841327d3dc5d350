import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { INVALID_TOKEN, SESSION_ISSUER, SESSION_TTL_S, buildApp } from '@notify-stats/api';
import { expectedDailyVolumes, expectedPlatformStats, produce as produceLoad, type ProduceResult } from '@notify-stats/loadgen';
import { addDays, financialYearOf, financialYearStart, todayInLondon } from '@notify-stats/london';
import { listDeadLetters, redrive } from '@notify-stats/kafka';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { INSTALL_TIMEOUT_MS, launchChromium } from '../support/chromium.ts';
import { ADMIN, OPERATOR, adminToken, operatorToken, startPipeline, type TestPipeline } from '../support/pipeline.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
// Small and deterministic: a few thousand messages over the five London days before today.
const LOAD = { count: 4000, days: 5, seed: 20240401, services: 12, invalidFraction: 0.01, duplicateFraction: 0.02, lateFraction: 0.02 };

// Delivered notifications with known latencies, on two days before the load's (outside "Last 7
// days", whose numbers must be the load's alone): the delivery latency chart's known answer.
const LATENCY_DAYS = [addDays(todayInLondon(), -9), addDays(todayInLondon(), -8)] as const;
const LATENCY_PROVIDER = 'e2e-latency';
/** The report's figure for a latency: the upper edge of its bucket (edge k = round(100 * 2^(k/8)) ms). */
const LATENCY_EDGES_MS = Array.from({ length: 193 }, (_, k) => Math.round(100 * 2 ** (k / 8)));
const reportedSeconds = (latencyMs: number) => LATENCY_EDGES_MS[LATENCY_EDGES_MS.filter((e) => e <= latencyMs).length]! / 1000;
function delivered(day: string, type: 'email' | 'sms', latencyMs: number, count: number) {
  const created = Date.parse(`${day}T11:00:00.000Z`); // inside that London day, summer or winter
  return Array.from({ length: count }, () =>
    statusEvent({
      notification_type: type,
      sent_by: type === 'sms' ? LATENCY_PROVIDER : 'ses',
      created_at: new Date(created).toISOString(),
      updated_at: new Date(created + latencyMs).toISOString(),
    }),
  );
}
const LATENCY_EVENTS = [
  // Day one: 4 SMS at 1 s.
  ...delivered(LATENCY_DAYS[0], 'sms', 1000, 4),
  // Day two: 20 SMS (p50 at 1 s, p90 at 10 s, p95 at 1 min, p99 at 1 h) and 3 emails at 2 s.
  ...delivered(LATENCY_DAYS[1], 'sms', 1000, 10),
  ...delivered(LATENCY_DAYS[1], 'sms', 10_000, 8),
  ...delivered(LATENCY_DAYS[1], 'sms', 60_000, 1),
  ...delivered(LATENCY_DAYS[1], 'sms', 3_600_000, 1),
  ...delivered(LATENCY_DAYS[1], 'email', 2000, 3),
];

let broker: TestBroker;
let p: TestPipeline;
let browserReady: Promise<Browser> | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let baseUrl: string;
let load: ProduceResult;
const pageErrors: string[] = [];
// Every request the page made: where to, with which bearer token, and what it sent.
const requests: Array<{ url: string; method: string; token: string | null; body: string | null }> = [];

beforeAll(async () => {
  // Chromium (installed first on a fresh machine) starts while the broker and pipeline do.
  browserReady = launchChromium();
  browserReady.catch(() => undefined);
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers);
  load = await produceLoad(p.kafka, LOAD);
  await produce(p.producer, TOPICS.notificationStatus, LATENCY_EVENTS.map(statusMessage));
  await p.waitForFacts(Date.now());
  await p.waitForLagZero();
  baseUrl = await p.listen();
  browser = await browserReady;
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce', acceptDownloads: true, locale: 'en-GB' });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Refused requests (the wrong secret on purpose) are logged by Chromium; anything else is a fault.
    // So is the 503 the latency report is made to answer on purpose (page.route below).
    const refused = /Failed to load resource: the server responded with a status of 40[13]/.test(msg.text());
    const notReady = /status of 503/.test(msg.text()) && msg.location().url.includes('/platform-stats/delivery-latency-report');
    if (msg.type() === 'error' && !refused && !notReady) {
      pageErrors.push(`console: ${msg.text()}`);
    }
  });
  page.on('request', (req) => {
    const auth = req.headers().authorization;
    requests.push({ url: req.url(), method: req.method(), token: auth ? auth.replace(/^Bearer /, '') : null, body: req.postData() });
  });
}, INSTALL_TIMEOUT_MS + 120_000);

afterAll(async () => {
  await context?.close();
  // Launched alongside the pipeline: closed even when the pipeline failed to start.
  await (await browserReady?.catch(() => undefined))?.close();
  await p?.stop();
  await broker?.stop();
});

// The API, read by the test the way any client reads it: the report reader, or the operator.
async function api(pathAndQuery: string, token?: string): Promise<Response> {
  const res = await fetch(`${baseUrl}${pathAndQuery}`, { headers: { authorization: `Bearer ${token ?? (await adminToken())}` } });
  expect(res.status, pathAndQuery).toBe(200);
  return res;
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
/** The session token of the page's latest report request. */
const lastSessionToken = (): string => [...requests].reverse().find((r) => r.token && claimsOf(r.token).iss === SESSION_ISSUER)!.token!;

/** Signs in through the form (keyboard only: Enter in the secret field submits it). */
async function signIn(target: Page, clientId: string, secret: string): Promise<void> {
  await target.getByLabel('Admin client id').fill(clientId);
  await target.getByLabel('Admin secret').fill(secret);
  await target.getByLabel('Admin secret').press('Enter');
}
/** Nothing of the sign-in is left in the tab's storage, cookies or address. */
async function storageOf(target: Page) {
  return target.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, hash: location.hash.replace(/start_date=[\d-]+&end_date=[\d-]+/, '') }));
}
const apiJson = async <T>(report: string, start: string, end: string): Promise<T> =>
  (await api(`${report}?start_date=${start}&end_date=${end}`)).json() as Promise<T>;

interface Rendered {
  labels: string[];
  labelKeys?: string[];
  totals?: number[];
  datasets: Array<{ key: string; label: string; data: number[]; counts?: number[] }>;
}
interface CardState {
  state: string;
  start: string;
  end: string;
  rendered: Rendered;
  tableRows: number;
  note: string | null;
}

const CARDS = ['volumes', 'sms-providers', 'letters', 'top-services', 'status-mix', 'delivery-latency'] as const;
type CardId = (typeof CARDS)[number];

/** The range each chart must ask for: the one-financial-year reports start at 1 April at the earliest. */
function expectedRanges(start: string, end: string): Record<CardId, { start: string; end: string }> {
  const fyStart = financialYearStart(financialYearOf(end));
  const clamped = financialYearOf(start) !== financialYearOf(end) ? fyStart : start;
  return Object.fromEntries(CARDS.map((id) => [id, { start: id === 'letters' || id === 'top-services' ? clamped : start, end }])) as Record<
    CardId,
    { start: string; end: string }
  >;
}

/** Waits until every chart shows its range for `start..end`, and reads what each one rendered. */
async function renderedCards(start: string, end: string): Promise<Record<CardId, CardState>> {
  const ranges = expectedRanges(start, end);
  await page.waitForFunction(
    (ranges) =>
      Object.entries(ranges).every(([id, r]) => {
        const card = document.getElementById(`chart-${id}`);
        return card?.dataset.state === 'ready' && card.dataset.start === r.start && card.dataset.end === r.end && !card.hasAttribute('aria-busy');
      }),
    ranges,
    { timeout: 20_000 },
  );
  return page.evaluate((ids) => {
    const out: Record<string, unknown> = {};
    for (const id of ids) {
      const card = document.getElementById(`chart-${id}`)!;
      const note = card.querySelector<HTMLElement>('.card-note')!;
      out[id] = {
        state: card.dataset.state,
        start: card.dataset.start,
        end: card.dataset.end,
        rendered: JSON.parse(card.dataset.rendered ?? 'null'),
        tableRows: card.querySelectorAll('table tbody tr').length,
        note: note.hidden ? null : note.textContent,
      };
    }
    return out;
  }, [...CARDS]) as Promise<Record<CardId, CardState>>;
}

const byKey = (r: Rendered) => Object.fromEntries(r.datasets.map((d) => [d.key, d.data]));
const uniqueSorted = (xs: string[]) => [...new Set(xs)].sort();
const micros = (n: number) => Math.round(n * 1e6);

/** What each chart must show for a range, computed here from the API's own answers. */
async function expectChartsToMatchApi(cards: Record<CardId, CardState>): Promise<void> {
  // Daily volumes per channel: one bar per day the report lists.
  {
    const c = cards.volumes;
    const rows = await apiJson<Array<Record<string, number> & { day: string }>>('/platform-stats/daily-volumes-report', c.start, c.end);
    expect(c.rendered.labels).toEqual(rows.map((r) => r.day));
    expect(byKey(c.rendered)).toEqual({ email: rows.map((r) => r.email_totals), sms: rows.map((r) => r.sms_totals), letter: rows.map((r) => r.letter_totals) });
    expect(c.tableRows).toBe(rows.length);
  }
  // SMS per provider: messages and cost per (day, provider), 0 where the report has no row.
  {
    const c = cards['sms-providers'];
    const rows = await apiJson<Array<{ day: string; provider: string; sms_totals: number; sms_cost: number }>>(
      '/platform-stats/daily-sms-provider-volumes-report', c.start, c.end,
    );
    const days = uniqueSorted(rows.map((r) => r.day));
    const providers = uniqueSorted(rows.map((r) => r.provider));
    const cell = (d: string, pr: string) => rows.find((r) => r.day === d && r.provider === pr);
    expect(c.rendered.labels).toEqual(days);
    expect(byKey(c.rendered)).toEqual(
      Object.fromEntries(
        providers.flatMap((pr) => [
          [`sms_totals:${pr}`, days.map((d) => cell(d, pr)?.sms_totals ?? 0)],
          [`sms_cost:${pr}`, days.map((d) => cell(d, pr)?.sms_cost ?? 0)],
        ]),
      ),
    );
  }
  // Letters per postage, by despatch day.
  {
    const c = cards.letters;
    const rows = await apiJson<Array<{ date: string; postage: string; letters: number }>>('/platform-stats/data-for-dvla-billing-report', c.start, c.end);
    const days = uniqueSorted(rows.map((r) => r.date));
    const postages = uniqueSorted(rows.map((r) => r.postage));
    const sum = (d: string, po: string) => rows.filter((r) => r.date === d && r.postage === po).reduce((n, r) => n + r.letters, 0);
    expect(c.rendered.labels).toEqual(days);
    expect(byKey(c.rendered)).toEqual(Object.fromEntries(postages.map((po) => [po, days.map((d) => sum(d, po))])));
  }
  // Top ten services by SMS + letter cost.
  {
    const c = cards['top-services'];
    const rows = await apiJson<Array<{ service_id: string; service_name: string; sms_cost: number; letter_cost: number }>>(
      '/platform-stats/data-for-billing-report', c.start, c.end,
    );
    const total = (r: (typeof rows)[number]) => micros(r.sms_cost) + micros(r.letter_cost);
    const top = [...rows]
      .sort((a, b) => total(b) - total(a) || a.service_name.localeCompare(b.service_name) || a.service_id.localeCompare(b.service_id))
      .slice(0, 10);
    expect(c.rendered.labelKeys).toEqual(top.map((r) => r.service_id));
    expect(byKey(c.rendered)).toEqual({ sms_cost: top.map((r) => r.sms_cost), letter_cost: top.map((r) => r.letter_cost) });
  }
  // Status mix: counts per outcome add up to each channel's total; bars are shares of it.
  {
    const c = cards['status-mix'];
    type Stats = Record<string, number>;
    const body = await apiJson<Record<'email' | 'sms' | 'letter', Stats>>('/platform-stats', c.start, c.end);
    const types = ['email', 'sms', 'letter'] as const;
    expect(c.rendered.labelKeys).toEqual([...types]);
    expect(c.rendered.totals).toEqual(types.map((t) => body[t]!.total));
    const counts = Object.fromEntries(c.rendered.datasets.map((d) => [d.key, d.counts]));
    const t = (type: (typeof types)[number], k: string) => body[type]![k]!;
    expect(counts).toEqual({
      delivered: types.map((x) => t(x, 'delivered')),
      'permanent-failure': types.map((x) => t(x, 'permanent-failure')),
      'temporary-failure': types.map((x) => t(x, 'temporary-failure')),
      'technical-failure': types.map((x) => t(x, 'technical-failure')),
      'other-failure': types.map((x) => t(x, 'failed') - t(x, 'permanent-failure') - t(x, 'temporary-failure') - t(x, 'technical-failure')),
      cancelled: types.map((x) => t(x, 'total') - t(x, 'requested')),
      other: types.map((x) => t(x, 'requested') - t(x, 'delivered') - t(x, 'failed')),
    });
    for (const d of c.rendered.datasets) {
      d.data.forEach((share, i) => expect(share).toBeCloseTo((100 * d.counts![i]!) / Math.max(1, c.rendered.totals![i]!), 9));
    }
  }
  // Delivery latency: one p95 line per (type, provider), a gap (null) on a day it delivered nothing.
  {
    const c = cards['delivery-latency'];
    const rows = await apiJson<LatencyRow[]>('/platform-stats/delivery-latency-report', c.start, c.end);
    expect(c.rendered).toEqual(expectedLatencyChart(rows));
  }
}

interface LatencyRow {
  day: string;
  notification_type: string;
  provider: string;
  delivered: number;
  p50_seconds: number;
  p90_seconds: number;
  p95_seconds: number;
  p99_seconds: number;
}
/** What the latency chart must render for the report's rows: lines by channel, then provider (null: no point that day). */
function expectedLatencyChart(rows: LatencyRow[]): { labels: string[]; datasets: Array<{ key: string; label: string; data: Array<number | null>; counts: number[] }> } {
  const days = uniqueSorted(rows.map((r) => r.day));
  const order = ['email', 'sms', 'letter'];
  const lines = uniqueSorted(rows.map((r) => `${r.notification_type}:${r.provider}`))
    .map((k) => k.split(':') as [string, string])
    .sort(([ta, pa], [tb, pb]) => order.indexOf(ta) - order.indexOf(tb) || pa.localeCompare(pb));
  const cell = (d: string, t: string, pr: string) => rows.find((r) => r.day === d && r.notification_type === t && r.provider === pr);
  return {
    labels: days,
    datasets: lines.map(([t, pr]) => ({
      key: `p95_seconds:${t}:${pr}`,
      label: `${pr} (${t})`,
      data: days.map((d) => cell(d, t, pr)?.p95_seconds ?? null),
      counts: days.map((d) => cell(d, t, pr)?.delivered ?? 0),
    })),
  };
}

const today = todayInLondon();
const fy = financialYearOf(today);

describe('dashboard in a real browser', () => {
  it('refuses a wrong secret with the API message, then signs in as the report reader', async () => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Admin client id').fill(ADMIN.clientId);
    await page.getByLabel('Admin secret').fill('not-the-secret-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain(`(403): ${INVALID_TOKEN}`);
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await signIn(page, ADMIN.clientId, ADMIN.secret);
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    expect(await page.locator('#session-client').textContent()).toBe(ADMIN.clientId);
    expect(await page.locator('#session-role').textContent()).toBe('(report reader)');
    // The secret is not kept anywhere: not in the form, the tab's storage, a cookie or the address.
    expect(await page.getByLabel('Admin secret').inputValue()).toBe('');
    expect(await storageOf(page)).toEqual({ local: 0, session: 0, cookie: '', hash: '#' });
    // A report reader does not see the pipeline's health (the API would refuse it), and is told why.
    await page.waitForFunction(() => document.getElementById('health')?.dataset.state === 'forbidden');
    expect(await page.locator('#health-badge').textContent()).toBe('Operator only');
  });

  it('sends its short-lived session token, and never the secret', async () => {
    await expect.poll(() => requests.filter((r) => r.token).length).toBeGreaterThan(3);
    // The secret signed exactly one token, here, for the exchange; it never went over the wire.
    const exchanges = requests.filter((r) => r.url.endsWith('/auth/session') && r.method === 'POST');
    expect(exchanges.map((r) => claimsOf(r.token!).iss)).toEqual([ADMIN.clientId, ADMIN.clientId]); // the wrong secret, then the right one
    for (const r of requests) for (const part of [r.url, r.token ?? '', r.body ?? '']) expect(part).not.toContain(ADMIN.secret);
    const reports = requests.filter((r) => r.token && !r.url.includes('/auth/'));
    expect(reports.length).toBeGreaterThan(3);
    for (const r of reports) {
      const [header, payload] = r.token!.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(payload).toMatchObject({ iss: SESSION_ISSUER, sub: ADMIN.clientId, role: 'reader' });
      expect(payload.exp - payload.iat).toBe(SESSION_TTL_S);
    }
  });

  it('clamps the one-financial-year reports of a range across 1 April, and says so', async () => {
    const start = addDays(financialYearStart(fy), -10);
    await page.getByLabel('From', { exact: true }).fill(start);
    await page.getByLabel('To', { exact: true }).fill(today);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    // Asked for as typed, but the billing and DVLA reports from 1 April only (the API refuses more).
    const cards = await renderedCards(start, today);
    for (const id of ['volumes', 'sms-providers', 'status-mix', 'delivery-latency'] as const) expect([id, cards[id].note]).toEqual([id, null]);
    for (const id of ['letters', 'top-services'] as const) expect([id, cards[id].note]).toEqual([id, expect.stringMatching(/one financial year/)]);
    await expectChartsToMatchApi(cards);
  });

  it('draws, for the last 7 days, exactly the numbers the API returns', async () => {
    // Picked with the keyboard: the presets are plain buttons.
    await page.getByRole('button', { name: 'Last 7 days' }).focus();
    await page.keyboard.press('Enter');
    const start = addDays(today, -6);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(start);
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(today);
    expect(await page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed')).toBe('true');
    const cards = await renderedCards(start, today);
    await expectChartsToMatchApi(cards);

    // Not vacuous: the generated days are in the range, and the charts show them.
    expect(cards.volumes.rendered.labels.length).toBeGreaterThanOrEqual(4);
    expect(cards['sms-providers'].rendered.datasets.length).toBeGreaterThanOrEqual(2);
    expect(cards.letters.rendered.labels.length).toBeGreaterThan(0);
    expect(cards['top-services'].rendered.labelKeys!.length).toBeGreaterThan(0);
    expect(cards['delivery-latency'].rendered.datasets.flatMap((d) => d.counts!).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // ... and the numbers are those the load generator produced.
    const counts = Object.fromEntries(cards['status-mix'].rendered.datasets.map((d) => [d.key, d.counts!]));
    const expected = expectedPlatformStats(load.tally, start, today);
    expect(cards['status-mix'].rendered.totals).toEqual([expected.email.total, expected.sms.total, expected.letter.total]);
    expect(counts.delivered).toEqual([expected.email.delivered, expected.sms.delivered, expected.letter.delivered]);
    expect(cards.volumes.rendered.labels).toEqual(expectedDailyVolumes(load.tally, start, today).map((r) => r.day));
  });

  it('downloads the CSV behind a chart', async () => {
    const start = addDays(today, -6);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#chart-volumes').getByRole('button', { name: /CSV/ }).click()]);
    expect(download.suggestedFilename()).toBe(`daily-volumes-report_${start}_${today}.csv`);
    const csv = readFileSync((await download.path())!);
    // Byte for byte the API's CSV, its UTF-8 byte order mark included (spreadsheets need it for "£").
    expect(csv.toString('utf8')).toMatch(/^\uFEFFday,sms_totals,sms_fragment_totals,sms_chargeable_units,email_totals,letter_totals,letter_sheet_totals\n/);
    const fromApi = await api(`/platform-stats/daily-volumes-report?start_date=${start}&end_date=${today}&format=csv`);
    expect(fromApi.headers.get('content-disposition')).toBe(`attachment; filename="daily-volumes-report_${start}_${today}.csv"`);
    expect(csv.equals(Buffer.from(await fromApi.arrayBuffer()))).toBe(true);

    // /platform-stats has no CSV of its own: the page writes one from the JSON, same numbers, same BOM.
    const [statusDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#chart-status-mix').getByRole('button', { name: /CSV/ }).click()]);
    const statusCsv = readFileSync((await statusDownload.path())!, 'utf8');
    expect(statusCsv.startsWith('\uFEFF')).toBe(true);
    const lines = statusCsv.slice(1).trim().split('\n');
    const body = await apiJson<Record<string, Record<string, number>>>('/platform-stats', start, today);
    const columns = ['total', 'delivered', 'failed', 'requested', 'technical-failure', 'temporary-failure', 'permanent-failure'];
    expect(lines).toEqual([
      `notification_type,${columns.join(',')}`,
      ...['email', 'sms', 'letter'].map((t) => [t, ...columns.map((c) => body[t]![c])].join(',')),
    ]);
  });

  it('draws delivery latency per provider: the p95 of known latencies, as the bucket edge above them', async () => {
    const [first, second] = LATENCY_DAYS;
    await page.getByLabel('From', { exact: true }).fill(first);
    await page.getByLabel('To', { exact: true }).fill(second);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const cards = await renderedCards(first, second);
    await expectChartsToMatchApi(cards);
    // The known answer, from the latencies produced (not from the API): 1 s is reported as 1.037 s.
    expect(reportedSeconds(1000)).toBe(1.037);
    expect(cards['delivery-latency'].rendered).toEqual({
      labels: [first, second],
      datasets: [
        { key: 'p95_seconds:email:ses', label: 'ses (email)', data: [null, reportedSeconds(2000)], counts: [0, 3] },
        // Day two: the 19th fastest of 20 (nearest rank of p95) took 1 min.
        { key: `p95_seconds:sms:${LATENCY_PROVIDER}`, label: `${LATENCY_PROVIDER} (sms)`, data: [1.037, reportedSeconds(60_000)], counts: [4, 20] },
      ],
    });
    const card = page.locator('#chart-delivery-latency');
    expect(await card.locator('.card-overlay').isHidden()).toBe(true);
    expect(await card.locator('.card-summary').textContent()).toMatch(
      new RegExp(`^27 delivered notifications timed across 2 providers; the slowest day's p95 was 1\\.01 min \\(${LATENCY_PROVIDER} \\(sms\\), `),
    );
    expect(cards['delivery-latency'].tableRows).toBe(2);
  });

  it("shows the latency report's 503 message in its panel, and draws it once the report answers", async () => {
    const [first, second] = LATENCY_DAYS;
    const message = 'Delivery latency is still being counted from history; try again in a few minutes';
    const report = '**/platform-stats/delivery-latency-report?*';
    await page.route(report, (route) => route.fulfill({ status: 503, contentType: 'application/json', headers: { 'retry-after': '60' }, body: JSON.stringify({ message, status_code: 503 }) }));
    try {
      await page.getByLabel('From', { exact: true }).fill(addDays(first, -1));
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      // It was drawn before (the range of the test above): now the 503's message stands in for it.
      await page.waitForFunction(() => document.getElementById('chart-delivery-latency')?.dataset.state === 'unavailable', null, { timeout: 20_000 });
      const card = page.locator('#chart-delivery-latency');
      expect(await card.locator('.card-overlay').textContent()).toBe(message);
      expect(await card.getAttribute('data-rendered')).toBeNull();
      expect(await card.locator('canvas').evaluate((c) => Boolean((globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart.getChart(c as HTMLCanvasElement)))).toBe(false);
      // The other reports draw as usual.
      await page.waitForFunction(() => document.getElementById('chart-volumes')?.dataset.state === 'ready', null, { timeout: 15_000 });
    } finally {
      await page.unroute(report);
    }
    // No click: the page asks again at its next poll (every 15 s) and draws the answer.
    await page.waitForFunction(() => document.getElementById('chart-delivery-latency')?.dataset.state === 'ready', null, { timeout: 90_000 });
    const cards = await renderedCards(addDays(first, -1), second);
    expect(cards['delivery-latency'].rendered.labels).toEqual([first, second]);
    expect(await page.locator('#chart-delivery-latency .card-overlay').isHidden()).toBe(true);
  });

  it('signs out (ending the session at the API) and in as the operator, who sees the pipeline health', async () => {
    const readerSession = lastSessionToken();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#login').waitFor({ state: 'visible' });
    // Signed out means ended: a copy of the token taken before is refused too.
    const ended = await fetch(`${baseUrl}/platform-stats`, { headers: { authorization: `Bearer ${readerSession}` } });
    expect(ended.status).toBe(403);

    await signIn(page, OPERATOR.clientId, OPERATOR.secret);
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    expect(await page.locator('#session-role').textContent()).toBe('(operator)');
    expect(await storageOf(page)).toEqual({ local: 0, session: 0, cookie: '', hash: '#' });
    for (const r of requests) for (const part of [r.url, r.token ?? '', r.body ?? '']) expect(part).not.toContain(OPERATOR.secret);
  });

  it('shows pipeline health: lag per partition, dead letters, freshness, last rollups', async () => {
    await page.waitForFunction(() => document.getElementById('health')?.dataset.state === 'ok', null, { timeout: 15_000 });
    const shown = await page.evaluate(() => {
      const h = document.getElementById('health')!;
      return {
        totalLag: Number(h.dataset.totalLag),
        deadLetters: Number(h.dataset.deadLetters),
        watermark: h.dataset.watermark,
        partitions: JSON.parse(h.dataset.partitions ?? '[]') as unknown[],
        builds: h.querySelectorAll('#health-builds tbody tr').length,
        ago: h.querySelector('#health-watermark-ago')!.textContent,
      };
    });
    const status = (await (await api('/admin/pipeline/status', await operatorToken())).json()) as {
      kafka: { partitions: unknown[]; deadLetters: Record<string, number> };
      rollups: { watermark: string };
    };
    expect(shown.totalLag).toBe(0);
    expect(shown.deadLetters).toBe(Object.values(status.kafka.deadLetters).reduce((a, b) => a + b, 0));
    expect(shown.deadLetters).toBe(load.tally.messages.invalid);
    expect(shown.partitions).toHaveLength(status.kafka.partitions.length);
    expect(shown.builds).toBeGreaterThan(0);
    expect(Date.parse(shown.watermark!)).toBeGreaterThan(Date.now() - 60_000);
    expect(shown.ago).toMatch(/ago|just now/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  it('renews its session token before it expires, keeping the session', async () => {
    const before = lastSessionToken();
    const renewals = () => requests.filter((r) => r.url.endsWith('/auth/session/renew')).length;
    expect(renewals()).toBe(0);
    // The page's own module (same URL, same instance): make its token due for renewal now. A
    // string, so that the test runner's transform leaves its import() alone.
    await page.evaluate("import('/dashboard/js/auth.js').then((auth) => { auth.currentSession().expiresAtMs = Date.now(); })");
    await page.getByRole('button', { name: 'Today' }).click();
    await expect.poll(renewals).toBe(1);
    await expect.poll(lastSessionToken).not.toBe(before);
    const [old, renewed] = [claimsOf(before), claimsOf(lastSessionToken())];
    expect(renewed).toMatchObject({ sid: old.sid, auth_time: old.auth_time, sub: OPERATOR.clientId });
    expect(renewed.jti).not.toBe(old.jti);
    expect(Number(renewed.exp)).toBeGreaterThanOrEqual(Number(old.exp));
    await page.waitForFunction(() => document.getElementById('chart-volumes')?.dataset.state === 'ready', null, { timeout: 15_000 });
    expect(await page.locator('#dashboard').isVisible()).toBe(true);
  });

  it('groups the daily charts by month, from the same answers', async () => {
    const end = addDays(todayInLondon(), -1);
    const start = addDays(end, -40);
    await page.locator('#start-date').fill(start);
    await page.locator('#end-date').fill(end);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await renderedCards(start, end);
    await page.getByLabel('Month', { exact: true }).check();
    await page.waitForFunction(() => document.getElementById('chart-volumes')?.dataset.grouping === 'month', null, { timeout: 15_000 });
    const cards = await renderedCards(start, end);
    const rows = await apiJson<Array<Record<string, number> & { day: string }>>('/platform-stats/daily-volumes-report', start, end);
    const months = uniqueSorted(rows.map((r) => r.day.slice(0, 7)));
    const perMonth = (field: string) => months.map((m) => rows.filter((r) => r.day.startsWith(m)).reduce((n, r) => n + r[field]!, 0));
    expect(months.length).toBeGreaterThan(0);
    expect(cards.volumes.rendered.labels).toEqual(months);
    expect(byKey(cards.volumes.rendered)).toEqual({ email: perMonth('email_totals'), sms: perMonth('sms_totals'), letter: perMonth('letter_totals') });
    // SMS cost per provider and month: the exact sum of its days.
    const sms = await apiJson<Array<{ day: string; provider: string; sms_cost: number }>>('/platform-stats/daily-sms-provider-volumes-report', start, end);
    for (const provider of uniqueSorted(sms.map((r) => r.provider))) {
      const expected = months.map((m) => sms.filter((r) => r.provider === provider && r.day.startsWith(m)).reduce((n, r) => n + micros(r.sms_cost), 0));
      expect(byKey(cards['sms-providers'].rendered)[`sms_cost:${provider}`]!.map(micros)).toEqual(expected);
    }
    await page.getByLabel('Day', { exact: true }).check();
    await page.waitForFunction(() => document.getElementById('chart-volumes')?.dataset.grouping === 'day', null, { timeout: 15_000 });
  });

  it('offers last month and the previous financial year', async () => {
    const today = todayInLondon();
    const firstOfMonth = `${today.slice(0, 7)}-01`;
    const lastMonthEnd = addDays(firstOfMonth, -1);
    const previousFy = financialYearOf(today) - 1;
    for (const [name, start, end] of [
      ['Last month', `${lastMonthEnd.slice(0, 7)}-01`, lastMonthEnd],
      ['Previous financial year', financialYearStart(previousFy), `${previousFy + 1}-03-31`],
    ] as const) {
      await page.getByRole('button', { name, exact: true }).click();
      expect([await page.locator('#start-date').inputValue(), await page.locator('#end-date').inputValue()], name).toEqual([start, end]);
      expect(await page.getByRole('button', { name, exact: true }).getAttribute('aria-pressed')).toBe('true');
      await page.waitForFunction((s) => document.getElementById('chart-volumes')?.dataset.start === s, start, { timeout: 15_000 });
    }
  });

  it('redraws the charts by itself when X-Data-As-Of moves with new numbers', async () => {
    await page.getByRole('button', { name: 'Today', exact: true }).click();
    await page.waitForFunction(() => document.getElementById('chart-status-mix')?.dataset.state === 'ready', null, { timeout: 15_000 });
    const before = await page.locator('#chart-status-mix').getAttribute('data-rendered');
    const now = new Date().toISOString();
    await produce(p.producer, TOPICS.notificationStatus, Array.from({ length: 7 }, () => statusMessage(statusEvent({ created_at: now, updated_at: now }))));
    // No click: the page polls X-Data-As-Of and redraws when it moves.
    await page.waitForFunction((old) => { const c = document.getElementById('chart-status-mix'); return c?.dataset.state === 'ready' && c.dataset.rendered !== old; }, before, { timeout: 90_000 });
  });

  it('counts dead letters as `dlq list` does, before and after a redrive', async () => {
    const waiting = async () => (await listDeadLetters(p.kafka)).filter((l) => !l.redriven);
    const shownDeadLetters = () => page.evaluate(() => Number(document.getElementById('health')!.dataset.deadLetters));
    expect(await shownDeadLetters()).toBe((await waiting()).length);
    // Redriven invalid messages fail again: they come back as new dead letters, the old ones marked redriven.
    const result = await redrive(p.kafka, await listDeadLetters(p.kafka));
    expect(result.redriven.length).toBe(load.tally.messages.invalid);
    await p.waitForLagZero();
    await expect.poll(async () => (await listDeadLetters(p.kafka)).filter((l) => l.redriven).length, { timeout: 30_000 }).toBe(result.redriven.length);
    const expected = (await waiting()).length;
    await page.waitForFunction((n) => Number(document.getElementById('health')!.dataset.deadLetters) === n && /redriven/.test(document.getElementById('health-dlq-topics')!.textContent ?? ''), expected, { timeout: 30_000 });
    expect(await page.locator('#health-dlq-topics').textContent()).toContain(`${result.redriven.length} redriven`);
  });

  it('drills into one service from the top-ten chart or the search field, with the per-service numbers', async () => {
    await page.getByRole('button', { name: 'Last 7 days', exact: true }).click();
    const range = { start: addDays(todayInLondon(), -6), end: todayInLondon() };
    const cards = await renderedCards(range.start, range.end);
    const top = cards['top-services'].rendered.labelKeys!;
    expect(top.length).toBeGreaterThan(1);
    // Click the first bar where Chart.js drew it (page coordinates, once the card is in view).
    await page.locator('#chart-top-services').scrollIntoViewIfNeeded();
    const bar = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#chart-top-services canvas')!;
      const chart = (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { getDatasetMeta(i: number): { data: Array<{ x: number; y: number; base: number }> } } } }).Chart.getChart(canvas);
      // The wider of the first service's two stacked bars (SMS or letters: one of them may be £0).
      const first = [0, 1].map((i) => chart.getDatasetMeta(i).data[0]!).sort((a, b) => Math.abs(b.x - b.base) - Math.abs(a.x - a.base))[0]!;
      const box = canvas.getBoundingClientRect();
      return { x: box.left + (first.x + first.base) / 2, y: box.top + first.y };
    });
    await page.mouse.move(bar.x, bar.y);
    await page.mouse.click(bar.x, bar.y);
    const shown = async (serviceId: string) => {
      await page.waitForFunction(
        ({ id, start }) => { const el = document.getElementById('service-panel')!; return el.dataset.state === 'ready' && el.dataset.serviceId === id && el.dataset.start === start; },
        { id: serviceId, start: range.start },
        { timeout: 60_000 },
      ).catch(async (err: unknown) => {
        const panel = await page.evaluate(() => {
          const el = document.getElementById('service-panel')!;
          const canvas = document.querySelector<HTMLCanvasElement>('#chart-top-services canvas')!;
          const chart = (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { options: { onClick?: unknown } } } }).Chart.getChart(canvas);
          return { ...el.dataset, error: document.getElementById('service-error')!.textContent, rendered: undefined, onClick: typeof chart.options.onClick };
        });
        throw new Error(`the drill-down did not show ${serviceId}: ${JSON.stringify(panel)} ${JSON.stringify(bar)} ${pageErrors.join(' | ')}; ${String(err)}`);
      });
      return page.evaluate(() => JSON.parse(document.getElementById('service-panel')!.dataset.rendered!) as Rendered & { mix: Record<string, number> });
    };
    const expectPerServiceNumbers = async (serviceId: string, rendered: Rendered & { mix: Record<string, number> }) => {
      const window = { start: Date.parse(`${range.start}T12:00:00Z`) / 1000, end: Date.parse(`${range.end}T12:00:00Z`) / 1000 + 1 };
      const buckets = ['messagesSentDelivered', 'messagesSentAccepted', 'messagesSentBuffered', 'messagesSentFailed', 'messagesSentRejected'];
      const answers: Record<string, Array<Record<string, number> & { date: string }>> = {};
      for (const type of ['email', 'sms', 'letter']) {
        answers[type] = await (await api(`/v2/stats/messaging?service_id=${serviceId}&by=day&notification_type=${type}&start=${window.start}&end=${window.end}`)).json();
      }
      expect(rendered.labels).toEqual(answers.sms!.map((p) => p.date.slice(0, 10)));
      expect(rendered.labels).toHaveLength(7);
      const data = byKey(rendered);
      for (const type of ['email', 'sms', 'letter']) expect(data[type], type).toEqual(answers[type]!.map((p) => buckets.reduce((n, b) => n + p[b]!, 0)));
      expect(data.costs!.map(micros)).toEqual(answers.sms!.map((_, i) => ['email', 'sms', 'letter'].reduce((n, t) => n + micros(answers[t]![i]!.costs!), 0)));
      for (const b of buckets) expect(rendered.mix[b], b).toBe(['email', 'sms', 'letter'].reduce((n, t) => n + answers[t]!.reduce((m, p) => m + p[b]!, 0), 0));
    };
    const first = await shown(top[0]!);
    expect(Object.values(first.mix).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await expectPerServiceNumbers(top[0]!, first);

    // By keyboard: the searchable list of live services, by name.
    const services = await apiJson<Array<{ service_id: string; service_name: string }>>('/platform-stats/volumes-by-service', range.start, range.end);
    const other = services.find((s) => s.service_id !== top[0])!;
    await page.getByLabel('Service', { exact: true }).fill(other.service_name);
    await page.getByLabel('Service', { exact: true }).press('Enter');
    await expectPerServiceNumbers(other.service_id, await shown(other.service_id));
    await page.getByLabel('Service', { exact: true }).fill('No such service');
    await page.getByLabel('Service', { exact: true }).press('Enter');
    expect(await page.locator('#service-error').textContent()).toBe('No live service called "No such service" in this range\'s list.');
  });

  it('says "not available" when the API runs without the pipeline', async () => {
    // The same reports, served by an API that has no pipeline in its process: status answers 503.
    const alone = await buildApp({ clickhouse: p.ch.client, admin: ADMIN, operator: OPERATOR, dataAsOf: async () => null, readiness: { ingest: () => true } });
    // A context of its own (its own window): a second tab would leave one of them in the
    // background, where Chromium stops animation frames and clicks wait for a stable element.
    const otherContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    try {
      const url = await alone.listen({ port: 0, host: '127.0.0.1' });
      const other = await otherContext.newPage();
      await other.goto(`${url}/dashboard`);
      await other.getByLabel('Admin client id').fill(OPERATOR.clientId);
      await other.getByLabel('Admin secret').fill(OPERATOR.secret);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.waitForFunction(() => document.getElementById('health')?.dataset.state === 'unavailable', null, { timeout: 15_000 });
      expect(await other.locator('#health-badge').textContent()).toBe('Not available');
      expect(await other.locator('#health-note').textContent()).toMatch(/not available/i);
      // The reports still draw.
      await other.waitForFunction(() => document.getElementById('chart-volumes')?.dataset.state === 'ready', null, { timeout: 15_000 });
    } finally {
      await otherContext.close();
      await alone.close();
      await page.bringToFront();
    }
  });

  it('goes back to the sign-in form when its session is refused', async () => {
    // The session is ended behind the page's back (as by a sign-out in another window): the next call is refused.
    const ended = await fetch(`${baseUrl}/auth/session`, { method: 'DELETE', headers: { authorization: `Bearer ${lastSessionToken()}` } });
    expect(ended.status).toBe(204);
    // The next call is refused, whichever makes it: a click on Today, or the page's own polls
    // (health every 5 s, X-Data-As-Of every 15 s), which on a busy machine can come first and
    // hide the button under the click. Checked and clicked in one turn of the page's event loop,
    // so a poll cannot land in between.
    await page.evaluate(() => {
      if (!document.getElementById('dashboard')!.hidden) document.querySelector<HTMLButtonElement>('button[data-preset="today"]')!.click();
    });
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#login-error').textContent()).toMatch(/403.*session has ended/);
    expect(await storageOf(page)).toMatchObject({ local: 0, session: 0, cookie: '' });
    expect(pageErrors).toEqual([]);
  });
});
