import { IAT_TOLERANCE_S, SESSION_TTL_S, Sessions } from '@notify-stats/api';
import { parseEnv } from '@notify-stats/runtime';
import { clientToken } from '../admin-token.ts';
import { apiEnv } from '../env.ts';
import { print, printJson } from '../kafka-cli.ts';

export const TOKEN_ROLES = ['admin', 'operator', 'service'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenOptions {
  ttl?: number;
  serviceId?: string;
  json?: boolean;
}

export interface IssuedToken {
  token: string;
  token_type: 'Bearer';
  expires_in: number;
  issuer: string;
  kind: 'client-signed' | 'session';
}

/**
 * A bearer token for curl or a script, signed here with the secret from the environment (the
 * API is not asked). Up to IAT_TOLERANCE_S: a token the client signs itself (iat = now). Longer,
 * for a platform client: a session token (as POST /auth/session issues), good for up to
 * SESSION_TTL_S. A service's token is always its own signed one: the API keeps no session for it.
 */
export async function issueToken(role: TokenRole, opts: TokenOptions, env = parseEnv(apiEnv)): Promise<IssuedToken> {
  const ttl = opts.ttl ?? IAT_TOLERANCE_S;
  if (role === 'service') {
    if (ttl > IAT_TOLERANCE_S) throw new Error(`--ttl: a service token is good for ${IAT_TOLERANCE_S} s at most (the API accepts iat within ${IAT_TOLERANCE_S} s)`);
    if (!opts.serviceId) throw new Error('--service-id is required for a service token');
    const secret = process.env.SERVICE_API_KEY_SECRET;
    if (!secret) throw new Error('set SERVICE_API_KEY_SECRET to the secret of one of the service\'s API keys (never on the command line)');
    return { token: await clientToken(opts.serviceId.toLowerCase(), secret), token_type: 'Bearer', expires_in: ttl, issuer: opts.serviceId.toLowerCase(), kind: 'client-signed' };
  }
  const client = role === 'admin' ? { id: env.ADMIN_CLIENT_ID, secret: env.ADMIN_CLIENT_SECRET } : { id: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET };
  if (ttl <= IAT_TOLERANCE_S) return { token: await clientToken(client.id, client.secret), token_type: 'Bearer', expires_in: ttl, issuer: client.id, kind: 'client-signed' };
  if (ttl > SESSION_TTL_S) throw new Error(`--ttl must be at most ${SESSION_TTL_S / 60}m (a session's life; start another one when it ends)`);
  const issued = await new Sessions(() => client.secret).issue(client.id, role === 'admin' ? 'reader' : 'operator', undefined, ttl);
  return { token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, issuer: client.id, kind: 'session' };
}

export async function tokenCommand(role: string | undefined, opts: TokenOptions): Promise<void> {
  const r = (role ?? 'admin') as TokenRole;
  if (!TOKEN_ROLES.includes(r)) throw new Error(`unknown role ${role}: one of ${TOKEN_ROLES.join(', ')}`);
  const issued = await issueToken(r, opts);
  if (opts.json) return printJson(issued);
  // The token alone, so that TOKEN=$(notify-stats token) works.
  print(issued.token);
}
