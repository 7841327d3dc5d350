import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { PrecisionLostError } from '@notify-stats/clickhouse';
import { ApiError, errorAnswer } from '../src/errors.ts';
import { peerError } from '../src/routes/service-stats/peer-error.ts';

// The one mapping from a failure to an answer, and the cost summary's envelope on top of it.

/** A validation failure as fastify hands it over: `validation` holds the zod issues. */
function validationFailure(message: string): Error {
  const schema = z.string().refine(() => false, message);
  const result = validatorCompiler({ schema, method: 'GET', url: '/', httpPart: 'querystring' })('x') as { error?: unknown };
  return Object.assign(new Error('querystring invalid'), { statusCode: 400, validation: result.error });
}
const clientError = (status: number, message: string) => Object.assign(new Error(message), { statusCode: status });

describe('errorAnswer', () => {
  it("answers the caller's mistakes with their own words and status", () => {
    expect(errorAnswer(new ApiError(429, 'slow down', { 'retry-after': '60' }))).toEqual({ status: 429, message: 'slow down', headers: { 'retry-after': '60' } });
    expect(errorAnswer(validationFailure('Start date must be before end date'))).toEqual({ status: 400, message: 'Start date must be before end date', headers: {} });
    expect(errorAnswer(clientError(414, 'URI too long'))).toEqual({ status: 414, message: 'URI too long', headers: {} });
    expect(errorAnswer(clientError(400, 'Body is not valid JSON'))).toEqual({ status: 400, message: 'Body is not valid JSON', headers: {} });
    expect(errorAnswer(clientError(499, 'edge'))).toEqual({ status: 499, message: 'edge', headers: {} });
  });

  it('never leaks an internal failure, and says why it is logged', () => {
    expect(errorAnswer(new Error('engine said: table x is gone'))).toEqual({ status: 500, message: 'Internal server error', headers: {}, logAs: 'request failed' });
    expect(errorAnswer(new PrecisionLostError('sms_cost'))).toEqual({
      status: 500,
      message: 'A total in this report is too large to be given exactly; narrow the date range',
      headers: {},
      logAs: 'a total is too large to answer exactly',
    });
  });
});

describe('peerError', () => {
  it("gives our refusals the peer's codes and everything else its HTTP status", () => {
    expect(peerError(new ApiError(401, 'key required'))).toMatchObject({ status: 401, code: 1, message: 'key required' });
    expect(peerError(new ApiError(403, 'key incorrect'))).toMatchObject({ status: 403, code: 10, message: 'key incorrect' });
    expect(peerError(new ApiError(429, 'slow down', { 'retry-after': '5' }))).toMatchObject({ status: 429, code: 429, headers: { 'retry-after': '5' } });
    expect(peerError(validationFailure('interval is required'))).toMatchObject({ status: 400, code: 400, message: 'interval is required' });
    expect(peerError(clientError(403, 'forbidden by fastify'))).toMatchObject({ status: 403, code: 403 });
  });

  it('says only "Internal server error" for a failure of ours', () => {
    expect(peerError(new PrecisionLostError('cost'))).toMatchObject({ status: 500, code: 500, message: 'Internal server error' });
    expect(peerError(new Error('boom'))).toMatchObject({ status: 500, code: 500, message: 'Internal server error' });
  });
});
