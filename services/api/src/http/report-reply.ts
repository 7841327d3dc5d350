import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';

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
}

/**
 * Sends a report body with the headers every report carries: `X-Data-As-Of`, and an `ETag` from
 * the body so that a client polling an unchanged report gets a 304 without the body.
 */
export async function sendReport(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ReportContext,
  schema: z.ZodType,
  rawBody: unknown,
  csvColumns?: readonly string[],
): Promise<FastifyReply> {
  // The body is serialised here (for the ETag), so the response schema is enforced here too:
  // exactly the documented fields, nothing else.
  const body = schema.parse(rawBody);
  const asOf = await ctx.dataAsOf();
  if (asOf) reply.header('x-data-as-of', asOf);
  let payload: string;
  if (csvColumns && wantsCsv(request)) {
    const rows = body as Array<Record<string, unknown>>;
    payload = stringify(
      rows.map((r) => csvColumns.map((c) => r[c])),
      { header: true, columns: [...csvColumns] },
    );
    reply.type('text/csv; charset=utf-8');
  } else {
    payload = JSON.stringify(body);
    reply.type('application/json; charset=utf-8');
  }
  const etag = `"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
  reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'accept, authorization');
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    return reply.code(304).send();
  }
  return reply.send(payload);
}
