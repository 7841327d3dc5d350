import { decodeProtectedHeader, jwtVerify, errors } from 'jose';
import { ApiError } from '../errors.ts';

/** Tokens must be issued within this many seconds of now, either way (clock skew and replay bound). */
export const IAT_TOLERANCE_S = 30;

export function bearerToken(header: string | undefined): string {
  if (!header) throw new ApiError(401, 'Unauthorized: authentication token must be provided');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new ApiError(401, 'Unauthorized: authentication bearer scheme must be used');
  return match[1];
}

/** The unverified `iss`, to pick the secret to verify with (service tokens name their service). */
export function unverifiedIssuer(token: string): string {
  try {
    decodeProtectedHeader(token);
    const payload = token.split('.')[1];
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    if (typeof claims.iss !== 'string') throw new Error('no iss');
    return claims.iss;
  } catch {
    throw new ApiError(403, 'Invalid token: unable to decode');
  }
}

/** Verifies an HS256 token's signature, issuer and `iat` window; every failure is a 403. */
export async function verifyHs256(token: string, secret: string, issuer: string, nowMs = Date.now()): Promise<void> {
  let iat: number | undefined;
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      issuer,
      currentDate: new Date(nowMs),
    });
    iat = payload.iat;
  } catch (err) {
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iss') {
      throw new ApiError(403, 'Invalid token: issuer not recognised');
    }
    if (err instanceof errors.JWTExpired) throw new ApiError(403, 'Invalid token: expired');
    throw new ApiError(403, 'Invalid token: signature does not match');
  }
  if (typeof iat !== 'number') throw new ApiError(403, 'Invalid token: iat claim is required');
  if (Math.abs(nowMs / 1000 - iat) > IAT_TOLERANCE_S) {
    throw new ApiError(403, `Invalid token: iat must be within ${IAT_TOLERANCE_S} seconds of now`);
  }
}
