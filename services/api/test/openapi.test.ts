import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpsApp } from '../src/ops.ts';
import { REPORTS, openTestApp, type TestApp } from './helpers.ts';

// The document the operations server serves (/docs/json), which the "Authorize" button and any
// generated client read: every authenticated route must say so, and what it can answer.

interface Operation {
  security?: unknown[];
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
}

let t: TestApp;
let paths: Record<string, Record<string, Operation>>;
let document: { components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } };

beforeAll(async () => {
  t = await openTestApp();
  const ops = await buildOpsApp(t.app);
  document = (await ops.inject({ url: '/docs/json' })).json();
  paths = (document as unknown as { paths: typeof paths }).paths;
  await ops.close();
});
afterAll(async () => t?.close());

const operations = (prefix: RegExp) =>
  Object.entries(paths)
    .filter(([path]) => prefix.test(path))
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));

describe('OpenAPI document', () => {
  it('declares the bearer token and the error answers on every authenticated route', () => {
    const authenticated = operations(/^\/(platform-stats|admin|auth|v1\/statistics|v2\/stats)/);
    expect(authenticated.length).toBeGreaterThanOrEqual(6 + 3 + 3 + 3);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { route, op } of authenticated) {
      expect(op.security, route).toEqual([{ bearer: [] }]);
      for (const status of ['400', '401', '403', '429', '500']) expect(op.responses[status], `${route} ${status}`).toBeDefined();
      expect(Object.keys(op.responses['429']!.headers ?? {}), route).toContain('Retry-After');
    }
    expect(document.components.schemas.Error).toMatchObject({ required: ['message', 'status_code'] });
    expect(paths['/healthz']!.get!.security).toBeUndefined();
  });

  it('gives every report its ETag, X-Data-As-Of and 304, and the list reports their CSV', () => {
    for (const { route, op } of operations(/^\/(platform-stats|v1\/statistics|v2\/stats)/)) {
      expect(Object.keys(op.responses['200']!.headers ?? {}), route).toEqual(expect.arrayContaining(['ETag', 'X-Data-As-Of']));
      expect(op.responses['304'], route).toBeDefined();
      expect(op.parameters?.some((p) => p.in === 'header' && p.name === 'If-None-Match'), route).toBe(true);
    }
    for (const report of REPORTS) expect(Object.keys(paths[report]!.get!.responses['200']!.content ?? {}), report).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(paths['/platform-stats']!.get!.responses['200']!.content ?? {})).toEqual(['application/json']);
  });

  it("documents a report's query from its schema's input side: the dates, never the parsed range", () => {
    for (const report of ['/platform-stats', ...REPORTS]) {
      const query = (paths[report]!.get!.parameters ?? []).filter((p) => p.in === 'query') as Array<{ name: string; schema?: unknown }>;
      const extra: Record<string, string[]> = { '/platform-stats': [], '/platform-stats/delivery-latency-report': ['notification_type', 'format'] };
      expect(query.map((p) => p.name), report).toEqual(['start_date', 'end_date', ...(extra[report] ?? ['format'])]);
      for (const p of query.slice(0, 2)) expect(p.schema, `${report} ${p.name}`).toEqual({ type: 'string', format: 'date' });
    }
  });
});
