import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.ts';
import { INVALID_TOKEN, verifyHs256 } from './jwt.ts';
import { SESSION_ISSUER, Sessions, type SessionClaims } from './session.ts';

/** A platform client: `iss` of its tokens and the HS256 secret it signs them with. */
export interface ClientCredential {
  clientId: string;
  secret: string;
}
/** @deprecated the report reader's credential; kept for callers of the earlier name. */
export type AdminAuthConfig = ClientCredential;

/**
 * What a platform client may do. `reader` (ADMIN_CLIENT_*): the platform reports and any
 * service's statistics. `operator` (OPERATOR_CLIENT_*): that, plus /admin/* (pause and resume
 * the ingest, backfills, pipeline and rollup status). A reader cannot operate.
 */
export type Role = 'reader' | 'operator';

export interface ClientPrincipal {
  clientId: string;
  role: Role;
  /** `jwt`: a token the client signed with its secret; `session`: one the API issued it. */
  via: 'jwt' | 'session';
  session?: SessionClaims;
}

export const canOperate = (p: ClientPrincipal): boolean => p.role === 'operator';

export interface PlatformClientsConfig {
  reader: ClientCredential;
  /** Without one, nobody can operate the pipeline through the API. */
  operator?: ClientCredential | undefined;
}

/** The platform clients this API knows, and the sessions it issues them. */
export class PlatformClients {
  private readonly clients = new Map<string, { credential: ClientCredential; role: Role }>();
  // Verifying an unknown issuer's token against this costs what a known one costs.
  private readonly decoy = randomBytes(32).toString('base64url');
  readonly sessions: Sessions;

  constructor(config: PlatformClientsConfig, now: () => number = () => Date.now()) {
    const add = (credential: ClientCredential, role: Role) => {
      if (credential.clientId === SESSION_ISSUER) throw new Error(`a client id cannot be ${SESSION_ISSUER}`);
      if (this.clients.has(credential.clientId)) throw new Error('the report reader and the operator need different client ids');
      this.clients.set(credential.clientId, { credential, role });
    };
    add(config.reader, 'reader');
    if (config.operator) {
      if (config.operator.secret === config.reader.secret) throw new Error('the report reader and the operator need different secrets');
      add(config.operator, 'operator');
    }
    this.sessions = new Sessions((id) => this.clients.get(id)?.credential.secret, now);
  }

  roleOf(clientId: string): Role | undefined {
    return this.clients.get(clientId)?.role;
  }

  /**
   * A client's bearer token, `iss` already read unverified: a JWT the client signed (iss = its
   * id, iat within 30 s) or a session token the API issued it (iss = SESSION_ISSUER, sub = its id).
   * An unknown issuer and a wrong signature get the same 403.
   */
  async authenticate(token: string, iss: string, sub: unknown, nowMs = Date.now()): Promise<ClientPrincipal> {
    if (iss === SESSION_ISSUER) {
      const session = await this.sessions.verify(token, sub);
      const role = this.roleOf(session.clientId);
      if (!role) throw new ApiError(403, INVALID_TOKEN);
      return { clientId: session.clientId, role, via: 'session', session };
    }
    const client = this.clients.get(iss);
    if (!client) {
      await verifyHs256(token, this.decoy, iss, nowMs).catch(() => undefined);
      throw new ApiError(403, INVALID_TOKEN);
    }
    await verifyHs256(token, client.credential.secret, iss, nowMs);
    return { clientId: iss, role: client.role, via: 'jwt' };
  }
}
