import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiError } from '../../errors.ts';

// The peer's control codes; other failures carry their HTTP status as code.
export const PEER_CODES = { apiKeyRequired: 1, apiKeyIncorrect: 10 } as const;

/** Any failure in the peer's error envelope: 401 -> code 1, 403 -> code 10, else the HTTP status. */
export function peerError(err: FastifyError | ApiError): { status: number; code: number; message: string; headers: Record<string, string> } {
  if (err instanceof ApiError) {
    const code = err.statusCode === 401 ? PEER_CODES.apiKeyRequired : err.statusCode === 403 ? PEER_CODES.apiKeyIncorrect : err.statusCode;
    return { status: err.statusCode, code, message: err.message, headers: err.headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return { status: 400, code: 400, message: err.validation[0]?.message ?? 'Invalid request', headers: {} };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: status, message: err.message, headers: {} };
  return { status: 500, code: 500, message: 'Internal server error', headers: {} };
}
