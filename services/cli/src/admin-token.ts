import { SignJWT } from 'jose';

/** A fresh token of a platform client (iat = now), for the CLI's calls to a running API. */
export function clientToken(clientId: string, secret: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(clientId)
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));
}

/** @deprecated the earlier name of clientToken. */
export const adminToken = clientToken;
