import { SignJWT } from 'jose';

/** A fresh admin token (iat = now) for the CLI's calls to a running API. */
export function adminToken(clientId: string, secret: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(clientId)
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));
}
