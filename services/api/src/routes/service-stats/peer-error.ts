import type { FastifyError } from 'fastify';
import { ApiError, errorAnswer, type ErrorAnswer } from '../../errors.ts';

// The peer's control codes; other failures carry their HTTP status as code.
export const PEER_CODES = { apiKeyRequired: 1, apiKeyIncorrect: 10 } as const;

/**
 * Any failure in the peer's error envelope: the app's answer (errors.ts) with the peer's code,
 * 401 -> 1 and 403 -> 10 for our refusals (ApiError), else the HTTP status. A failure of ours says only "Internal server error"
 * here: the peer's clients are given no report-specific advice.
 */
export function peerError(err: FastifyError | Error): ErrorAnswer & { code: number } {
  const answer = errorAnswer(err);
  const refusal = err instanceof ApiError;
  const code = refusal && answer.status === 401 ? PEER_CODES.apiKeyRequired : refusal && answer.status === 403 ? PEER_CODES.apiKeyIncorrect : answer.status;
  return answer.logAs ? { ...answer, message: 'Internal server error', code } : { ...answer, code };
}
