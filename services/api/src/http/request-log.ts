import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The header that carries a request's id both ways (a caller's own id is kept when it is sane). */
export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_ID = /^[\w.:-]{1,64}$/;
/** Query parameters whose values are credentials: logged as "[redacted]". */
const SECRET_PARAMS = new Set(['apikey', 'token', 'access_token', 'secret']);

/** The id of a new request: the caller's X-Request-Id when it is a plain token, else a new UUID. */
export function requestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}

/** The URL as it may be logged: credential parameters' values replaced, nothing else changed. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}

function logLine(request: FastifyRequest, reply: FastifyReply) {
  return {
    reqId: request.id,
    method: request.method,
    url: loggableUrl(request.url),
    route: request.routeOptions.url ?? null,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    remoteAddress: request.ip,
  };
}

/**
 * One log line per request, the authorization header never among its fields: refusals (401, 403,
 * 429) at warn so that credential probing shows, other client errors at info, server errors at
 * error, and successes at debug (under load they would drown the rest; their durations are in
 * /metrics). Every answer carries X-Request-Id, so a caller can quote the line that is theirs.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const line = logLine(request, reply);
    if (status >= 500) request.log.error(line, 'request failed');
    else if (status === 401 || status === 403 || status === 429) request.log.warn(line, 'request refused');
    else if (status >= 400) request.log.info(line, 'request rejected');
    else request.log.debug(line, 'request');
  });
}
