import { z } from 'zod';
import type { ApiKeyCache } from '../../auth/service-key.ts';
import type { RouteDeps } from '../deps.ts';

/** What the service-scoped routes share: the report deps and one key cache for all of them. */
export interface ServiceStatsDeps extends RouteDeps {
  keys: ApiKeyCache;
}

export const SERVICE_AUTH_DOC =
  'Authenticated as one service: `Authorization: Bearer <JWT>` signed HS256 with one of the service\'s active API key ' +
  'secrets, `iss` = the service id, `iat` within 30 s. A service only ever reads its own numbers; `service_id` ' +
  'is for admin tokens (required with one), and a service key naming another service is refused with 403.';

/** Query parameters every service-scoped route documents. Checked by the auth hook, before the rest of the query. */
export const serviceIdParam = {
  service_id: z
    .unknown()
    .optional()
    .describe('Admin tokens only: the service to read (UUID)')
    .meta({ type: 'string', format: 'uuid' }),
};

export const unixParam = (what: string) =>
  z.unknown().optional().describe(what).meta({ type: 'integer', minimum: 0 });
