import { decodeProtectedHeader, jwtVerify, errors } from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../errors.ts';

/** Tokens must be issued within this many seconds of now, either way (clock skew and replay bound). */
export const IAT_TOLERANCE_S = 30;

/**
 * The one answer to a token whose issuer is unknown or whose signature does not match: the same
 * whether the issuer is a service with keys, a service without, a client id or nothing at all,
 * so a refusal never tells a stranger which ids exist. Only a token whose signature did match
 * (its sender holds the secret) gets a more precise reason (iat, expiry).
 */
export const INVALID_TOKEN = 'Invalid token: unknown issuer or wrong signature';

export function bearerToken(header: string | undefined): string {
  if (!header) throw new ApiError(401, 'Unauthorized: authentication token must be provided');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new ApiError(401, 'Unauthorized: authentication bearer scheme must be used');
  return match[1];
}

/** The unverified claims, to pick the secret to verify with (service tokens name their service). */
export function unverifiedClaims(token: string): { iss: string; sub?: unknown } {
  try {
    decodeProtectedHeader(token);
    const payload = token.split('.')[1];
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown; sub?: unknown };
    if (typeof claims.iss !== 'string') throw new Error('no iss');
    return { iss: claims.iss, sub: claims.sub };
  } catch {
    throw new ApiError(403, 'Invalid token: unable to decode');
  }
}

export const unverifiedIssuer = (token: string): string => unverifiedClaims(token).iss;

/** The time claims of a token whose signature and issuer were verified. */
interface VerifiedClaims {
  iat: number | undefined;
  exp: number | undefined;
  nbf: number | undefined;
}

// A client polling a report sends the same token for up to a minute, and verifying it through
// WebCrypto was about a third of the CPU of a cached report's request (docs/benchmarks.md,
// section 3). An HMAC signature is a pure function of the token and the secret, so a token that
// verified once against this secret and issuer verifies again: only the time claims are checked
// anew. Only tokens that verified are kept (a stranger cannot fill the cache without a secret),
// for no longer than the iat window leaves them usable.
const verified = new LRUCache<string, VerifiedClaims>({ max: 10_000, ttl: 2 * IAT_TOLERANCE_S * 1000 });
const cacheKey = (token: string, secret: string, issuer: string) => `${secret}\0${issuer}\0${token}`;
// As jose checks them (no clock tolerance): otherwise jose is asked again, and says why not.
const timeClaimsHold = (c: VerifiedClaims, nowS: number) => (c.exp === undefined || c.exp > nowS) && (c.nbf === undefined || c.nbf <= nowS);

async function verifiedClaims(token: string, secret: string, issuer: string, nowMs: number): Promise<VerifiedClaims> {
  const key = cacheKey(token, secret, issuer);
  const known = verified.get(key);
  if (known && timeClaimsHold(known, Math.floor(nowMs / 1000))) return known;
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    issuer,
    currentDate: new Date(nowMs),
  });
  const claims = { iat: payload.iat, exp: payload.exp, nbf: payload.nbf };
  verified.set(key, claims);
  return claims;
}

/** Verifies an HS256 token's signature, issuer and `iat` window; every failure is a 403. */
export async function verifyHs256(token: string, secret: string, issuer: string, nowMs = Date.now()): Promise<void> {
  let iat: number | undefined;
  try {
    ({ iat } = await verifiedClaims(token, secret, issuer, nowMs));
  } catch (err) {
    // jose checks the signature before any claim: these two are only said to the secret's holder.
    if (err instanceof errors.JWTExpired) throw new ApiError(403, 'Invalid token: expired');
    throw new ApiError(403, INVALID_TOKEN);
  }
  if (typeof iat !== 'number') throw new ApiError(403, 'Invalid token: iat claim is required');
  if (Math.abs(nowMs / 1000 - iat) > IAT_TOLERANCE_S) {
    throw new ApiError(403, `Invalid token: iat must be within ${IAT_TOLERANCE_S} seconds of now`);
  }
}
