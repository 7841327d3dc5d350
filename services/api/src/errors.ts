import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PrecisionLostError } from '@notify-stats/clickhouse';

/** An error whose message is meant for the caller, answered as `{"message", "status_code"}`. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errorBody = (statusCode: number, message: string) => ({ message, status_code: statusCode });

/** What a failure answers, whatever the envelope: status, the caller's message, extra headers. */
export interface ErrorAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
  /** Set when the failure is ours, not the caller's: log it under these words; the message then says nothing of it. */
  logAs?: string;
}

const INTERNAL = 'Internal server error';

/**
 * The one mapping from a failure to an answer. Validation errors carry the spec's message as the
 * first issue's message (the query schemas run their checks in the spec's order, reports.md
 * section 3); anything unexpected is a 500 that never leaks internals.
 */
export function errorAnswer(err: FastifyError | Error): ErrorAnswer {
  if (err instanceof ApiError) return { status: err.statusCode, message: err.message, headers: err.headers };
  if (hasZodFastifySchemaValidationErrors(err)) return { status: 400, message: err.validation[0]?.message ?? 'Invalid request', headers: {} };
  const status = (err as FastifyError).statusCode ?? 500;
  // Fastify's own client errors (bad JSON body, URI too long, ...) keep their status.
  if (status >= 400 && status < 500) return { status, message: err.message, headers: {} };
  if (err instanceof PrecisionLostError) {
    // Exactness over an answer: a rounded total would look right and be wrong.
    return { status: 500, message: 'A total in this report is too large to be given exactly; narrow the date range', headers: {}, logAs: 'a total is too large to answer exactly' };
  }
  return { status: 500, message: INTERNAL, headers: {}, logAs: 'request failed' };
}

/** The app's error handler: every failure as `{"message", "status_code"}` (reports.md section 3). */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = errorAnswer(err);
    if (answer.logAs) request.log.error({ err }, answer.logAs);
    return reply.code(answer.status).headers(answer.headers).send(errorBody(answer.status, answer.message));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody(404, 'Not found')));
}
