/**
 * Completes the OpenAPI document built from the routes' zod schemas with what those schemas do not
 * say: which routes need the bearer token (so the UI's "Authorize" button applies to every one),
 * the error answers every authenticated route can give, the headers of the reports (ETag,
 * X-Data-As-Of, Retry-After) and the CSV the list reports also answer. Done once, on the document,
 * so no route has to repeat it.
 */

type Json = Record<string, unknown>;

const ERROR = { $ref: '#/components/schemas/Error' };
const errorContent = { 'application/json': { schema: ERROR } };
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds until a request may succeed', schema: { type: 'integer' } } };

/** Paths whose every operation needs `Authorization: Bearer <token>`. */
const AUTHENTICATED = /^\/(platform-stats|admin|auth|v1\/statistics|v2\/stats)(\/|$)/;
/** Reports: ETag, If-None-Match, X-Data-As-Of. */
const REPORT = /^\/(platform-stats|v1\/statistics|v2\/stats)(\/|$)/;

const ERRORS: Record<string, { description: string; headers?: Json }> = {
  '400': { description: 'Invalid request: the message says which parameter (the spec\'s messages for dates)' },
  '401': { description: 'No credential, or not a bearer one' },
  '403': { description: 'Credential refused (unknown issuer, wrong signature, stale iat, ended session) or not allowed here' },
  '429': { description: 'Too many requests for this client, or too many refused credentials from this address or for this key', headers: RETRY_AFTER },
  '500': { description: 'Internal error (never the engine\'s words)' },
};

const REPORT_HEADERS = {
  ETag: { description: 'Version of this answer; send it back in If-None-Match for a 304', schema: { type: 'string' } },
  'X-Data-As-Of': { description: 'Every event produced before this instant is in the numbers', schema: { type: 'string', format: 'date-time' } },
  'X-Data-Provisional': {
    description: 'true when a day of the range is younger than RESTATEMENT_AGE_DAYS (its figures may still move); false when all are final (later changes are published as restatements)',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
};

function completeOperation(path: string, op: Json): void {
  const responses = (op.responses ??= {}) as Record<string, Json>;
  if (AUTHENTICATED.test(path)) {
    op.security ??= [{ bearer: [] }];
    for (const [status, error] of Object.entries(ERRORS)) responses[status] ??= { ...error, content: errorContent };
  }
  if (path.startsWith('/admin/')) responses['503'] ??= { description: 'The service this asks for does not run in this process', content: errorContent };
  if (!REPORT.test(path)) return;
  const ok = (responses['200'] ??= { description: 'The report' });
  ok.headers = { ...REPORT_HEADERS, ...(ok.headers as Json | undefined) };
  responses['304'] ??= { description: 'Not modified: the If-None-Match ETag is current', headers: REPORT_HEADERS };
  const parameters = (op.parameters ?? []) as Array<{ name?: string; in?: string }>;
  if (parameters.some((p) => p.in === 'query' && p.name === 'format')) {
    const content = (ok.content ??= {}) as Json;
    content['text/csv'] ??= { schema: { type: 'string', description: 'UTF-8 with a byte order mark; the JSON fields as columns, in order' } };
    ok.headers = { ...(ok.headers as Json), 'Content-Disposition': { description: 'attachment; filename="<report>_<start>_<end>.csv" (CSV only)', schema: { type: 'string' } } };
  }
  if (!parameters.some((p) => p.in === 'header' && p.name === 'If-None-Match')) {
    op.parameters = [...parameters, { name: 'If-None-Match', in: 'header', required: false, description: 'An ETag of this report: 304 if it is still current', schema: { type: 'string' } }];
  }
}

export function completeOpenApi<T extends object>(document: T): T {
  const components = ((document as Json).components ??= {}) as Json;
  const schemas = (components.schemas ??= {}) as Json;
  schemas.Error ??= {
    type: 'object',
    required: ['message', 'status_code'],
    properties: { message: { type: 'string' }, status_code: { type: 'integer' } },
  };
  for (const [path, item] of Object.entries(((document as Json).paths ?? {}) as Record<string, Json>)) {
    for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
      const op = item[method] as Json | undefined;
      if (op) completeOperation(path, op);
    }
  }
  return document;
}
