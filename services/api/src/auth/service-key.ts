import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { ApiError } from '../errors.ts';
import { bearerToken, unverifiedIssuer, verifyHs256 } from './jwt.ts';

/**
 * How long a service's key lookup is reused. A key revoked (or added) in the reference data is
 * honoured by every request that starts this long after the revocation reached ClickHouse.
 */
export const SERVICE_KEY_CACHE_MS = 5_000;
// Unknown services and key ids are cached too (so they cannot force a query per request); the map
// is emptied when it reaches this size, so junk issuers cannot grow it without bound.
const CACHE_LIMIT = 10_000;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

// What verifyHs256 says when the secret is not the one that signed; any other failure means
// the signature did match and a claim (iat, exp) is wrong.
const SIGNATURE_MISMATCH = 'Invalid token: signature does not match';

export const AUTH_MESSAGES = {
  apiKeyRequired: 'API Key is required',
  apiKeyIncorrect: 'Incorrect API Key',
  both: 'Send the API key either as apiKey or in the Authorization header, not both',
  noActiveKey: 'Invalid token: the issuer has no active API key',
  noKeyMatches: 'Invalid token: signature does not match any active API key of the service',
  adminNeedsService: 'service_id is required with an admin token',
  serviceIdFormat: 'service_id must be a UUID',
  otherService: 'A service key can only read its own service: leave service_id out or set it to the key\'s service',
} as const;

const apiKeyRow = z.object({ key_id: z.string(), key_service_id: z.string(), secret: z.string() });
export interface ApiKeyRow {
  id: string;
  service_id: string;
  secret: string;
}

// FINAL keeps the newest message per reference key and hides deleted (tombstoned) keys. The
// aliases differ from the columns: ClickHouse aliases are visible in WHERE and would shadow them.
const ACTIVE_KEYS_SQL = (column: 'service_id' | 'id') => `
  SELECT toString(id) AS key_id, toString(service_id) AS key_service_id, secret
  FROM ref_api_keys FINAL
  WHERE ${column} = {value: UUID} AND revoked = false`;

/** The active (non-revoked) API keys, by service or by key id, each lookup reused for a few seconds. */
export class ApiKeyCache {
  private readonly entries = new Map<string, { at: number; rows: Promise<ApiKeyRow[]> }>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly ttlMs = SERVICE_KEY_CACHE_MS,
  ) {}

  byService(serviceId: string): Promise<ApiKeyRow[]> {
    return this.lookup('service_id', serviceId);
  }

  byId(keyId: string): Promise<ApiKeyRow[]> {
    return this.lookup('id', keyId);
  }

  private lookup(column: 'service_id' | 'id', value: string): Promise<ApiKeyRow[]> {
    const cacheKey = `${column}:${value.toLowerCase()}`;
    const now = Date.now();
    const hit = this.entries.get(cacheKey);
    if (hit && now - hit.at < this.ttlMs && now >= hit.at) return hit.rows;
    if (this.entries.size >= CACHE_LIMIT) this.entries.clear();
    // The promise is cached, so concurrent requests share one query; a failed query is not kept.
    const rows = queryRows<unknown>(this.client, ACTIVE_KEYS_SQL(column), { value }).then((r) =>
      r.map((x) => {
        const row = apiKeyRow.parse(x);
        return { id: row.key_id, service_id: row.key_service_id, secret: row.secret };
      }),
    );
    this.entries.set(cacheKey, { at: now, rows });
    rows.catch(() => {
      if (this.entries.get(cacheKey)?.rows === rows) this.entries.delete(cacheKey);
    });
    return rows;
  }
}

/** Who a request reads for, once authenticated. */
export interface ServicePrincipal {
  /** The service whose numbers the request may read (lower-case UUID). */
  serviceId: string;
  via: 'admin' | 'bearer' | 'api-key';
  /** The API key that authenticated it (bearer and api-key). */
  keyId: string | null;
  /** What a per-key rate limit counts against: the key, or for an admin the service it reads. */
  rateKey: string;
}

const principals = new WeakMap<FastifyRequest, ServicePrincipal>();

/** The principal the service auth hook attached; throws if the route has no such hook. */
export function authenticatedService(request: FastifyRequest): ServicePrincipal {
  const p = principals.get(request);
  if (!p) throw new Error('service auth hook did not run for this route');
  return p;
}

/** Equal-time comparison of two strings of any lengths (their digests have equal lengths). */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export interface ServiceAuthOptions {
  keys: ApiKeyCache;
  /** The existing admin auth: an admin token may read any service named by `service_id`. */
  adminAuth: (request: FastifyRequest) => Promise<void>;
  /** Accept `apiKey=<key id>:<secret>` in the query string as well (the cost-resume peer's way). */
  apiKeyParam: boolean;
}

/**
 * Route hook authenticating a service: `Authorization: Bearer <JWT>` (HS256 with one of the
 * service's active API key secrets, `iss` = service id, `iat` within 30 s), an admin token with
 * `service_id`, or where enabled `apiKey=<key id>:<secret>`. 401 when no credential is given,
 * 403 when it is wrong, 400 for a malformed `service_id`. A service credential with another
 * service's `service_id` is refused (403), never silently narrowed.
 */
export function serviceAuth(options: ServiceAuthOptions) {
  return async (request: FastifyRequest): Promise<void> => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const header = request.headers.authorization;
    const hasApiKey = options.apiKeyParam && query.apiKey !== undefined && query.apiKey !== '';
    if (options.apiKeyParam) {
      if (hasApiKey && header !== undefined) throw new ApiError(400, AUTH_MESSAGES.both);
      if (!hasApiKey && header === undefined) throw new ApiError(401, AUTH_MESSAGES.apiKeyRequired);
    }
    const principal = hasApiKey ? await byApiKey(options.keys, query.apiKey) : await byBearer(options, request, header);
    if (principal.via !== 'admin') {
      const asked = query.service_id;
      if (asked !== undefined && (typeof asked !== 'string' || asked.toLowerCase() !== principal.serviceId)) {
        throw new ApiError(403, AUTH_MESSAGES.otherService);
      }
    }
    principals.set(request, principal);
  };
}

async function byApiKey(keys: ApiKeyCache, raw: unknown): Promise<ServicePrincipal> {
  // <key id>:<secret>; the secret may itself contain ':'.
  const sep = typeof raw === 'string' ? raw.indexOf(':') : -1;
  const keyId = typeof raw === 'string' ? raw.slice(0, Math.max(sep, 0)) : '';
  const secret = typeof raw === 'string' ? raw.slice(sep + 1) : '';
  if (sep < 0 || !isUuid(keyId) || secret === '') throw new ApiError(403, AUTH_MESSAGES.apiKeyIncorrect);
  const rows = await keys.byId(keyId);
  // Every candidate is compared, so the time taken does not say which one matched.
  let match: ApiKeyRow | undefined;
  for (const row of rows) if (sameSecret(row.secret, secret) && !match) match = row;
  if (!match) throw new ApiError(403, AUTH_MESSAGES.apiKeyIncorrect);
  return { serviceId: match.service_id, via: 'api-key', keyId: match.id, rateKey: `key:${match.id}` };
}

async function byBearer(options: ServiceAuthOptions, request: FastifyRequest, header: string | undefined): Promise<ServicePrincipal> {
  const token = bearerToken(header);
  const iss = unverifiedIssuer(token);
  if (isUuid(iss)) {
    const keys = await options.keys.byService(iss);
    if (keys.length > 0) {
      let failure: ApiError | null = null;
      for (const key of keys) {
        try {
          await verifyHs256(token, key.secret, iss);
          const serviceId = iss.toLowerCase();
          return { serviceId, via: 'bearer', keyId: key.id, rateKey: `key:${key.id}` };
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          // A failure after the signature matched (stale iat, expired) names the real problem.
          if (err.message !== SIGNATURE_MISMATCH) failure = err;
        }
      }
      throw failure ?? new ApiError(403, AUTH_MESSAGES.noKeyMatches);
    }
  }
  try {
    await options.adminAuth(request);
  } catch (err) {
    // A service id with no active key (all revoked, or none yet) is not an unknown issuer.
    if (isUuid(iss) && err instanceof ApiError && err.statusCode === 403) throw new ApiError(403, AUTH_MESSAGES.noActiveKey);
    throw err;
  }
  const asked = ((request.query ?? {}) as Record<string, unknown>).service_id;
  if (asked === undefined || asked === '') throw new ApiError(400, AUTH_MESSAGES.adminNeedsService);
  if (typeof asked !== 'string' || !isUuid(asked)) throw new ApiError(400, AUTH_MESSAGES.serviceIdFormat);
  const serviceId = asked.toLowerCase();
  return { serviceId, via: 'admin', keyId: null, rateKey: `admin:${serviceId}` };
}
