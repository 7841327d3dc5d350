import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { firstProvisionalDay } from '@notify-stats/london';
import type { DayRange } from '../queries/day-range.ts';
import { negotiateCoding } from './content-coding.ts';
import type { ReportCache } from './report-cache.ts';
import { RenderedReport } from './rendered-report.ts';

/** `?format=csv` (or `Accept: text/csv`) asks a list report for CSV. */
export const formatParam = { format: z.enum(['json', 'csv']).optional().describe('json (default) or csv') };

export function wantsCsv(request: FastifyRequest): boolean {
  const q = request.query as { format?: string };
  if (q.format) return q.format === 'csv';
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

export interface ReportContext {
  /** Freshness watermark: every event produced before it is in the numbers. */
  dataAsOf(): Promise<string | null>;
  /** Set when fact reports are cached (see report-cache.ts). */
  reportCache?: ReportCache | undefined;
  /** A London day is final once older than this many days (restatements, docs/restatements.md). */
  provisionalAgeDays: number;
}

/**
 * `X-Data-Provisional: true` when a day of the report's range is not final yet, so its figures
 * may still move (late events, late rates); `false` when every day is final, and any later
 * change to one is published as a restatement. Reports without a range send none.
 */
function markProvisional(request: FastifyRequest, reply: FastifyReply, ctx: ReportContext): void {
  const range = (request.query as { range?: DayRange } | undefined)?.range;
  if (range) reply.header('x-data-provisional', String(range.end >= firstProvisionalDay(ctx.provisionalAgeDays)));
}

/**
 * Sends a report body with the headers every report carries: `X-Data-As-Of`, and an `ETag` from
 * the body so that a client polling an unchanged report gets a 304 without the body. The body is
 * compressed as the client's `Accept-Encoding` allows.
 */
export async function sendReport(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ReportContext,
  schema: z.ZodType,
  rawBody: unknown,
  csvColumns?: readonly string[],
): Promise<FastifyReply> {
  markProvisional(request, reply, ctx);
  return send(request, reply, render(schema, rawBody, csvColumnsFor(request, csvColumns), await ctx.dataAsOf()));
}

/**
 * A report computed from the fact tables alone: `compute` runs only when the cache holds no
 * rendering of this URL and format for the current facts version and watermark, and even then a
 * rendering it holds for older ones is sent meanwhile (report-cache.ts). A rendering keeps the
 * watermark read before its facts, so a body is never sent with a newer `X-Data-As-Of` than the
 * facts it was computed from.
 */
export async function sendFactReport(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ReportContext,
  schema: z.ZodType,
  compute: (format: ReportFormat) => Promise<unknown>,
  csvColumns?: readonly string[],
): Promise<FastifyReply> {
  const columns = csvColumnsFor(request, csvColumns);
  const make = async (asOf: string | null) => render(schema, await compute(columns ? 'csv' : 'json'), columns, asOf);
  const rendered = ctx.reportCache ? await ctx.reportCache.get([request.url, columns ? 'csv' : 'json'], make) : await make(await ctx.dataAsOf());
  markProvisional(request, reply, ctx);
  return send(request, reply, rendered);
}

/** The representation a report is computed for: a route may compute its JSON body differently. */
export type ReportFormat = 'json' | 'csv';

/**
 * A JSON body the engine rendered (queryJsonArray), sent as it is: its rows never become
 * JavaScript objects. The route's query names exactly the response schema's fields, and its
 * test checks the body against that schema.
 */
export class EngineRenderedJson {
  constructor(readonly json: Buffer) {}
}

const JSON_TYPE = 'application/json; charset=utf-8';

const csvColumnsFor = (request: FastifyRequest, columns?: readonly string[]) => (columns && wantsCsv(request) ? columns : undefined);

// A cell a spreadsheet would read as a formula (OWASP, CSV injection): = + - @, tab and carriage
// return; NUL (OWASP ASVS 1.2.10); and the full-width = + - @ some spreadsheets also take.
const FORMULA_START = /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * A text cell as a spreadsheet must see it: one that would start a formula gets a leading single
 * quote, which Excel, LibreOffice and Google Sheets read as "this is text". Numbers are written
 * by us (a negative number is a number, not a formula) and stay as they are.
 */
export function csvCell(value: unknown): unknown {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}

// Spreadsheets read a CSV without a byte order mark in the machine's legacy code page: "£" and
// accented names come out garbled. With it they read UTF-8.
const UTF8_BOM = '\uFEFF';

/**
 * `attachment; filename="<report>_<start>_<end>.csv"`, from the route and the range its query
 * schema validated (date-range.ts puts it on the parsed query); just `<report>.csv` without one.
 */
function csvDisposition(request: FastifyRequest): string {
  const report = (request.routeOptions.url ?? 'report').split('/').filter(Boolean).pop() ?? 'report';
  const range = (request.query as { range?: DayRange } | undefined)?.range;
  const days = range ? [range.start, range.end] : [];
  const name = [report, ...days].join('_').replace(/[^A-Za-z0-9_.-]/g, '');
  return `attachment; filename="${name}.csv"`;
}

function render(schema: z.ZodType, rawBody: unknown, csvColumns: readonly string[] | undefined, asOf: string | null): RenderedReport {
  if (rawBody instanceof EngineRenderedJson) {
    if (csvColumns) throw new Error('an engine-rendered JSON body cannot be sent as CSV');
    return new RenderedReport(rawBody.json, JSON_TYPE, asOf);
  }
  // The body is serialised here (for the ETag), so the response schema is enforced here too:
  // exactly the documented fields, nothing else.
  const body = schema.parse(rawBody);
  let payload: string;
  let type: string;
  if (csvColumns) {
    const rows = body as Array<Record<string, unknown>>;
    payload =
      UTF8_BOM +
      stringify(
        rows.map((r) => csvColumns.map((c) => csvCell(r[c]))),
        { header: true, columns: [...csvColumns] },
      );
    type = 'text/csv; charset=utf-8';
  } else {
    payload = JSON.stringify(body);
    type = JSON_TYPE;
  }
  return new RenderedReport(payload, type, asOf);
}

/** Sends a rendered report in the representation the request negotiates (or a 304). */
export async function send(request: FastifyRequest, reply: FastifyReply, report: RenderedReport): Promise<FastifyReply> {
  const representation = negotiateCoding(request.headers['accept-encoding']);
  const etag = report.etagOf(representation);
  if (report.asOf) reply.header('x-data-as-of', report.asOf);
  reply.type(report.type).header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'accept, accept-encoding, authorization');
  if (report.type.startsWith('text/csv')) reply.header('content-disposition', csvDisposition(request)).header('x-content-type-options', 'nosniff');
  const ifNoneMatch = request.headers['if-none-match'];
  // Weak comparison (RFC 9110 section 13.1.2): a proxy that weakened our ETag still gets its 304.
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*')) {
    return reply.code(304).send();
  }
  const { body, coding } = await report.representation(representation);
  if (coding) reply.header('content-encoding', coding);
  return reply.send(body);
}
