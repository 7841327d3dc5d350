import type { FastifyRequest } from 'fastify';
import { bearerToken, unverifiedIssuer, verifyHs256 } from './jwt.ts';
import { ApiError } from '../errors.ts';

export interface AdminAuthConfig {
  clientId: string;
  secret: string;
}

/** preHandler for admin-only routes: `Authorization: Bearer <HS256 JWT>` from the admin client. */
export function adminAuth(config: AdminAuthConfig) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    if (unverifiedIssuer(token) !== config.clientId) throw new ApiError(403, 'Invalid token: issuer not recognised');
    await verifyHs256(token, config.secret, config.clientId);
  };
}
