import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { ApiError } from '../errors.ts';
import { INVALID_TOKEN } from './jwt.ts';

/** `iss` of the tokens the API issues itself (never a client id: the API refuses a client with this id). */
export const SESSION_ISSUER = 'notify-stats/session';
/** A session token is good for this long; the dashboard renews it before then. */
export const SESSION_TTL_S = 15 * 60;
/** Renewals never carry a session past this long after its sign-in. */
export const SESSION_MAX_AGE_S = 12 * 60 * 60;
// Ended sessions remembered until they would have expired anyway (a sign-out per session at most).
const REVOKED_CAPACITY = 10_000;

export const SESSION_MESSAGES = {
  expired: 'Invalid token: the session has expired, sign in again',
  ended: 'Invalid token: the session has ended, sign in again',
} as const;

export interface SessionClaims {
  clientId: string;
  /** Random id of the sign-in; renewals keep it, sign-out ends it. */
  sid: string;
  /** Sign-in time (unix seconds): renewals stop SESSION_MAX_AGE_S after it. */
  authTime: number;
  exp: number;
}

export interface IssuedSession {
  token: string;
  expiresIn: number;
  claims: SessionClaims;
}

/**
 * Short-lived tokens the API issues to a client that proved its secret (POST /auth/session), so
 * that a browser can hold a token that dies within minutes instead of the client's secret.
 *
 * The signing key of a client's sessions is HMAC-SHA-256(client secret, "notify-stats session
 * v1"): every API process derives the same key (no shared state between replicas), a session
 * token never reveals or verifies as the secret itself, and rotating the secret ends every session.
 * Sign-out is remembered by this process only, until the token's own expiry.
 */
export class Sessions {
  private readonly keys = new Map<string, { secret: string; key: Uint8Array }>();
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly secretOf: (clientId: string) => string | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private keyOf(clientId: string): Uint8Array | undefined {
    const secret = this.secretOf(clientId);
    if (secret === undefined) return undefined;
    const hit = this.keys.get(clientId);
    if (hit?.secret === secret) return hit.key;
    const key = new Uint8Array(createHmac('sha256', secret).update('notify-stats session v1').digest());
    this.keys.set(clientId, { secret, key });
    return key;
  }

  /**
   * A new session for a client that just proved its secret, or the renewal of `previous`. A
   * shorter life than SESSION_TTL_S may be asked (`notify-stats token --ttl`); never a longer one.
   */
  async issue(clientId: string, role: string, previous?: SessionClaims, ttlS = SESSION_TTL_S): Promise<IssuedSession> {
    const key = this.keyOf(clientId);
    if (!key) throw new Error(`no client ${clientId}`);
    const nowS = Math.floor(this.now() / 1000);
    const sid = previous?.sid ?? randomUUID();
    const authTime = previous?.authTime ?? nowS;
    const exp = Math.min(nowS + Math.min(ttlS, SESSION_TTL_S), authTime + SESSION_MAX_AGE_S);
    if (exp <= nowS) throw new ApiError(403, SESSION_MESSAGES.expired);
    const token = await new SignJWT({ role, sid, auth_time: authTime })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(SESSION_ISSUER)
      .setSubject(clientId)
      // Unique per token, so a renewal within the same second is still a new token.
      .setJti(randomUUID())
      .setIssuedAt(nowS)
      .setExpirationTime(exp)
      .sign(key);
    return { token, expiresIn: exp - nowS, claims: { clientId, sid, authTime, exp } };
  }

  /** The session a token carries; 403 when it is forged, expired, past its maximum age or ended. */
  async verify(token: string, unverifiedSub: unknown): Promise<SessionClaims> {
    const clientId = typeof unverifiedSub === 'string' ? unverifiedSub : '';
    const key = this.keyOf(clientId);
    if (!key) throw new ApiError(403, INVALID_TOKEN);
    const nowMs = this.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: SESSION_ISSUER,
        subject: clientId,
        requiredClaims: ['iat', 'exp', 'sid', 'auth_time'],
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new ApiError(403, SESSION_MESSAGES.expired);
      throw new ApiError(403, INVALID_TOKEN);
    }
    const { sid, auth_time: authTime, exp, iat } = payload as { sid: unknown; auth_time: unknown; exp: number; iat: number };
    const nowS = nowMs / 1000;
    if (typeof sid !== 'string' || typeof authTime !== 'number' || exp - iat > SESSION_TTL_S || iat > nowS + 30) {
      throw new ApiError(403, INVALID_TOKEN);
    }
    if (nowS > authTime + SESSION_MAX_AGE_S) throw new ApiError(403, SESSION_MESSAGES.expired);
    if (this.revoked.has(sid)) throw new ApiError(403, SESSION_MESSAGES.ended);
    return { clientId, sid, authTime, exp };
  }

  /** Sign-out: every token of the session is refused from now on. */
  revoke(claims: SessionClaims): void {
    const nowS = this.now() / 1000;
    for (const [sid, exp] of this.revoked) if (exp < nowS) this.revoked.delete(sid);
    // Oldest first out: a session still alive past this many sign-outs expires on its own soon.
    while (this.revoked.size >= REVOKED_CAPACITY) this.revoked.delete(this.revoked.keys().next().value as string);
    this.revoked.set(claims.sid, claims.authTime + SESSION_MAX_AGE_S);
  }
}
