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

/**
 * The one error handler. Validation errors carry the spec's message as the first issue's message
 * (the query schemas run their checks in the spec's order); anything unexpected is a 500 that
 * never leaks internals, and is logged.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.statusCode, err.message));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation[0]?.message ?? 'Invalid request';
      return reply.code(400).send(errorBody(400, message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON body, URI too long, ...) keep their status.
      return reply.code(status).send(errorBody(status, err.message));
    }
    if (err instanceof PrecisionLostError) {
      // Exactness over an answer: a rounded total would look right and be wrong.
      request.log.error({ err }, 'a total is too large to answer exactly');
      return reply.code(500).send(errorBody(500, 'A total in this report is too large to be given exactly; narrow the date range'));
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'Internal server error'));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody(404, 'Not found')));
}
