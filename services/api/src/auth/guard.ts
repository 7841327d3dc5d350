import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { AccessLimits } from '../http/limits.ts';
import { canOperate, type ClientPrincipal, type PlatformClients } from './clients.ts';
import { bearerToken, unverifiedClaims } from './jwt.ts';

/** A route's preValidation hook that authenticates, limits and authorises. */
export type GuardHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** What a successful authentication yields: at least the key its requests are counted under. */
export interface Authenticated {
  /** `client:<id>` for platform clients, `service:<id>` for services (whatever key or token type). */
  limitKey: string;
}

/** Collects the key ids / service ids a request names, refusing at once those locked by failures. */
export class Attempt {
  readonly targets: string[] = [];
  constructor(private readonly limits: AccessLimits) {}

  /** Called before the credential of `target` is looked up: 429 if it is locked. */
  target(target: string): void {
    this.limits.checkTarget(target);
    this.targets.push(target);
  }
}

const isRefusal = (err: unknown): boolean => err instanceof ApiError && (err.statusCode === 401 || err.statusCode === 403);

/**
 * The order every authenticated route follows, so that no request does work it was not allowed:
 * 1. the source address: one that failed too often this minute is refused (429) before its
 *    credentials are even read;
 * 2. authentication (a key id or service id named by the request is refused while locked, before
 *    any lookup); a 401/403 counts against the address and those ids;
 * 3. the verified client's request budget (429 beyond it), whatever the token type;
 * 4. authorisation (role, service_id), counted in the client's budget like any request.
 */
export function guard<A extends Authenticated>(
  limits: AccessLimits,
  authenticate: (request: FastifyRequest, attempt: Attempt) => Promise<A>,
  authorize?: (request: FastifyRequest, authenticated: A) => void | Promise<void>,
): GuardHook {
  return async (request, reply) => {
    limits.checkAddress(request);
    const attempt = new Attempt(limits);
    let authenticated: A;
    try {
      authenticated = await authenticate(request, attempt);
    } catch (err) {
      if (isRefusal(err)) limits.failed(request, attempt.targets);
      throw err;
    }
    limits.admit(reply, authenticated.limitKey);
    await authorize?.(request, authenticated);
  };
}

const clients = new WeakMap<FastifyRequest, ClientPrincipal>();

/** The platform client a guarded route authenticated (undefined on routes of services). */
export const clientOf = (request: FastifyRequest): ClientPrincipal | undefined => clients.get(request);

export const ROLE_MESSAGES = {
  operatorOnly: 'This client may read reports but not operate the pipeline: use the operator credential',
  sessionFromSession: 'A session token cannot start another session: renew it with POST /auth/session/renew',
  sessionOnly: 'This route takes a session token (from POST /auth/session)',
} as const;

export type ClientRequirement = 'read' | 'operate' | 'signed-by-client' | 'session';

/** Authentication and limits shared by every route; one per app. */
export class Access {
  constructor(
    readonly limits: AccessLimits,
    readonly clients: PlatformClients,
  ) {}

  /** A platform client's bearer token (its own JWT or a session token), read from the request. */
  async authenticateClient(request: FastifyRequest, token = bearerToken(request.headers.authorization)): Promise<ClientPrincipal & Authenticated> {
    const { iss, sub } = unverifiedClaims(token);
    const principal = await this.clients.authenticate(token, iss, sub);
    clients.set(request, principal);
    return { ...principal, limitKey: `client:${principal.clientId}` };
  }

  /** The hook of a route for platform clients with what it requires. */
  client(requirement: ClientRequirement): GuardHook {
    return guard(
      this.limits,
      (request) => this.authenticateClient(request),
      (_request, p) => {
        if (requirement === 'operate' && !canOperate(p)) throw new ApiError(403, ROLE_MESSAGES.operatorOnly);
        if (requirement === 'signed-by-client' && p.via !== 'jwt') throw new ApiError(403, ROLE_MESSAGES.sessionFromSession);
        if (requirement === 'session' && p.via !== 'session') throw new ApiError(403, ROLE_MESSAGES.sessionOnly);
      },
    );
  }
}
