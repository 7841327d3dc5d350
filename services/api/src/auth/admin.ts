import type { FastifyRequest } from 'fastify';
import { bearerToken, unverifiedIssuer, verifyHs256 } from './jwt.ts';
import { ApiError } from '../errors.ts';

export interface AdminAuthConfig {
  clientId: string;
  secret: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller (admin client id), set by authentication; rate limits count per client. */
    clientId?: string;
  }
}

/**
 * preValidation hook for admin-only routes: `Authorization: Bearer <HS256 JWT>` from the admin
 * client. It runs before the query is validated, so a stranger learns nothing from error messages.
 */
export function adminAuth(config: AdminAuthConfig) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    if (unverifiedIssuer(token) !== config.clientId) throw new ApiError(403, 'Invalid token: issuer not recognised');
    await verifyHs256(token, config.secret, config.clientId);
    request.clientId = config.clientId;
  };
}
