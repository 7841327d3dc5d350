import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { REF_API_KEYS, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { ApiError } from '../errors.ts';
import { httpMetrics } from '../metrics.ts';
import { guard, type Access, type Attempt, type Authenticated, type GuardHook } from './guard.ts';
import type { ClientPrincipal } from './clients.ts';
import { INVALID_TOKEN, bearerToken, unverifiedClaims, verifyHs256 } from './jwt.ts';

/**
 * How long the active keys read from ClickHouse are reused. A key revoked (or added) in the
 * reference data is honoured by every request that starts this long after the revocation
 * reached ClickHouse.
 */
export const SERVICE_KEY_CACHE_MS = 5_000;

/**
 * The contract's minimum (`API_KEY_SECRET_MIN_LENGTH`, packages/events): a key with a shorter
 * secret, stored before the contract refused them, never authenticates.
 */
export const API_KEY_SECRET_MIN_LENGTH = 32;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

export const AUTH_MESSAGES = {
  apiKeyRequired: 'API Key is required',
  apiKeyIncorrect: 'Incorrect API Key',
  both: 'Send the API key either as apiKey or in the Authorization header, not both',
  invalidToken: INVALID_TOKEN,
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
const ACTIVE_KEYS_SQL = `
  SELECT toString(id) AS key_id, toString(service_id) AS key_service_id, secret
  FROM ${REF_API_KEYS.name} FINAL
  WHERE revoked = false`;

interface KeySnapshot {
  at: number;
  byId: Map<string, ApiKeyRow[]>;
  byService: Map<string, ApiKeyRow[]>;
}

/**
 * Every active (non-revoked) API key, read from ClickHouse at most once per `ttlMs` however many
 * requests arrive, and looked up in memory. An id that is not there (a random UUID, a revoked
 * key) is answered from the same snapshot: no request, known id or not, costs a query of its own,
 * so a flood of random ids never reaches the engine. Memory: about 200 bytes per active key.
 */
export class ApiKeyCache {
  private snapshot: KeySnapshot | undefined;
  private loading: Promise<KeySnapshot> | undefined;
  /** Reads of the key table so far (tests and the metric). */
  loads = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly ttlMs = SERVICE_KEY_CACHE_MS,
  ) {}

  async byService(serviceId: string): Promise<ApiKeyRow[]> {
    return (await this.current()).byService.get(serviceId.toLowerCase()) ?? [];
  }

  async byId(keyId: string): Promise<ApiKeyRow[]> {
    return (await this.current()).byId.get(keyId.toLowerCase()) ?? [];
  }

  private current(): Promise<KeySnapshot> {
    const now = Date.now();
    const s = this.snapshot;
    if (s && now - s.at < this.ttlMs && now >= s.at) return Promise.resolve(s);
    // Concurrent requests share one read; a failed read is not kept (the next request tries again).
    this.loading ??= this.load(now).finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(at: number): Promise<KeySnapshot> {
    this.loads++;
    httpMetrics.apiKeyLoads.inc();
    const rows = await queryRows<unknown>(this.client, ACTIVE_KEYS_SQL);
    const byId = new Map<string, ApiKeyRow[]>();
    const byService = new Map<string, ApiKeyRow[]>();
    for (const raw of rows) {
      const r = apiKeyRow.parse(raw);
      if (r.secret.length < API_KEY_SECRET_MIN_LENGTH) continue;
      const row = { id: r.key_id.toLowerCase(), service_id: r.key_service_id.toLowerCase(), secret: r.secret };
      byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
      byService.set(row.service_id, [...(byService.get(row.service_id) ?? []), row]);
    }
    this.snapshot = { at, byId, byService };
    return this.snapshot;
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

// Verifying a token of a service without keys against this costs what one key would.
const DECOY_SECRET = randomBytes(32).toString('base64url');

export interface ServiceAuthOptions {
  keys: ApiKeyCache;
  /** Limits and the platform clients (an admin token may read any service named by `service_id`). */
  access: Access;
  /** Accept `apiKey=<key id>:<secret>` in the query string as well (the cost-resume peer's way). */
  apiKeyParam: boolean;
}

type ServiceAuthenticated = Authenticated &
  ({ kind: 'service'; serviceId: string; keyId: string; via: 'bearer' | 'api-key' } | { kind: 'client'; client: ClientPrincipal });

/**
 * Route hook authenticating a service: `Authorization: Bearer <JWT>` (HS256 with one of the
 * service's active API key secrets, `iss` = service id, `iat` within 30 s), a platform client's
 * token with `service_id`, or where enabled `apiKey=<key id>:<secret>`. 401 when no credential is
 * given, 403 when it is wrong (the same body whether the service or key exists or not), 400 for a
 * malformed `service_id`. A service credential with another service's `service_id` is refused
 * (403), never silently narrowed. Limited like every authenticated route (auth/guard.ts): a
 * service's requests count against the service, whatever key or token type; wrong secrets count
 * against the source address and against the key id or service id they tried.
 */
export function serviceAuth(options: ServiceAuthOptions): GuardHook {
  return guard<ServiceAuthenticated>(
    options.access.limits,
    async (request, attempt) => {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const header = request.headers.authorization;
      const hasApiKey = options.apiKeyParam && query.apiKey !== undefined && query.apiKey !== '';
      if (options.apiKeyParam) {
        if (hasApiKey && header !== undefined) throw new ApiError(400, AUTH_MESSAGES.both);
        if (!hasApiKey && header === undefined) throw new ApiError(401, AUTH_MESSAGES.apiKeyRequired);
      }
      return hasApiKey ? byApiKey(options.keys, attempt, query.apiKey) : byBearer(options, request, attempt, header);
    },
    (request, a) => {
      const asked = ((request.query ?? {}) as Record<string, unknown>).service_id;
      if (a.kind === 'service') {
        if (asked !== undefined && (typeof asked !== 'string' || asked.toLowerCase() !== a.serviceId)) {
          throw new ApiError(403, AUTH_MESSAGES.otherService);
        }
        principals.set(request, { serviceId: a.serviceId, via: a.via, keyId: a.keyId, rateKey: `key:${a.keyId}` });
        return;
      }
      if (asked === undefined || asked === '') throw new ApiError(400, AUTH_MESSAGES.adminNeedsService);
      if (typeof asked !== 'string' || !isUuid(asked)) throw new ApiError(400, AUTH_MESSAGES.serviceIdFormat);
      const serviceId = asked.toLowerCase();
      principals.set(request, { serviceId, via: 'admin', keyId: null, rateKey: `admin:${serviceId}` });
    },
  );
}

async function byApiKey(keys: ApiKeyCache, attempt: Attempt, raw: unknown): Promise<ServiceAuthenticated> {
  // <key id>:<secret>; the secret may itself contain ':'.
  const sep = typeof raw === 'string' ? raw.indexOf(':') : -1;
  const keyId = typeof raw === 'string' ? raw.slice(0, Math.max(sep, 0)).toLowerCase() : '';
  const secret = typeof raw === 'string' ? raw.slice(sep + 1) : '';
  if (sep < 0 || !isUuid(keyId) || secret === '') throw new ApiError(403, AUTH_MESSAGES.apiKeyIncorrect);
  attempt.target(`key:${keyId}`);
  const rows = await keys.byId(keyId);
  // Every candidate is compared, so the time taken does not say which one matched.
  let match: ApiKeyRow | undefined;
  for (const row of rows) if (sameSecret(row.secret, secret) && !match) match = row;
  if (!match) throw new ApiError(403, AUTH_MESSAGES.apiKeyIncorrect);
  return { kind: 'service', serviceId: match.service_id, keyId: match.id, via: 'api-key', limitKey: `service:${match.service_id}` };
}

async function byBearer(options: ServiceAuthOptions, request: FastifyRequest, attempt: Attempt, header: string | undefined): Promise<ServiceAuthenticated> {
  const token = bearerToken(header);
  const { iss } = unverifiedClaims(token);
  if (!isUuid(iss)) {
    const client = await options.access.authenticateClient(request, token);
    return { kind: 'client', client, limitKey: client.limitKey };
  }
  const serviceId = iss.toLowerCase();
  attempt.target(`service:${serviceId}`);
  const keys = await options.keys.byService(serviceId);
  if (keys.length === 0) {
    // No active key (unknown, all revoked or none yet): the refusal a wrong secret gets.
    await verifyHs256(token, DECOY_SECRET, iss).catch(() => undefined);
    throw new ApiError(403, INVALID_TOKEN);
  }
  let failure: ApiError | null = null;
  for (const key of keys) {
    try {
      await verifyHs256(token, key.secret, iss);
      return { kind: 'service', serviceId, keyId: key.id, via: 'bearer', limitKey: `service:${serviceId}` };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // A failure after the signature matched (stale iat, expired) names the real problem.
      if (err.message !== INVALID_TOKEN) failure = err;
    }
  }
  throw failure ?? new ApiError(403, INVALID_TOKEN);
}
