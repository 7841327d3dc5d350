import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canOperate, type ClientPrincipal } from '../auth/clients.ts';
import { clientOf } from '../auth/guard.ts';
import { SESSION_ISSUER, SESSION_MAX_AGE_S, SESSION_TTL_S } from '../auth/session.ts';
import type { RouteDeps } from './deps.ts';

const session = z.object({
  token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  client_id: z.string(),
  role: z.enum(['reader', 'operator']),
  can_operate: z.boolean(),
});

const signedIn = (request: Parameters<typeof clientOf>[0]): ClientPrincipal => {
  const p = clientOf(request);
  if (!p) throw new Error('client auth hook did not run for this route');
  return p;
};

/**
 * Sessions for browsers (the dashboard): a client proves its secret once with a token it signed
 * and gets a short-lived token the API signed, which the page keeps in memory instead of the secret.
 */
const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  const sessions = deps.access.clients.sessions;
  const answer = (p: ClientPrincipal, issued: { token: string; expiresIn: number }) => ({
    token: issued.token,
    token_type: 'Bearer' as const,
    expires_in: issued.expiresIn,
    client_id: p.clientId,
    role: p.role,
    can_operate: canOperate(p),
  });

  app.post(
    '/auth/session',
    {
      preValidation: deps.access.client('signed-by-client'),
      schema: {
        tags: ['auth'],
        summary: 'Start a session: a short-lived token in exchange for a token the client signed',
        description:
          `Send \`Authorization: Bearer <JWT>\` signed by the report reader (ADMIN_CLIENT_*) or the operator ` +
          `(OPERATOR_CLIENT_*) as for any request. The answer's token (iss "${SESSION_ISSUER}", sub = client id) is ` +
          `accepted wherever that client's own tokens are, for ${SESSION_TTL_S / 60} minutes; renew it before then ` +
          `(POST /auth/session/renew), up to ${SESSION_MAX_AGE_S / 3600} hours after sign-in; DELETE /auth/session ends it.`,
        security: [{ bearer: [] }],
        response: { 200: session },
      },
    },
    async (request) => {
      const p = signedIn(request);
      return answer(p, await sessions.issue(p.clientId, p.role));
    },
  );

  app.post(
    '/auth/session/renew',
    {
      preValidation: deps.access.client('session'),
      schema: { tags: ['auth'], summary: 'A fresh token for the same session (never past its maximum age)', security: [{ bearer: [] }], response: { 200: session } },
    },
    async (request) => {
      const p = signedIn(request);
      return answer(p, await sessions.issue(p.clientId, p.role, p.session));
    },
  );

  app.delete(
    '/auth/session',
    {
      preValidation: deps.access.client('session'),
      schema: { tags: ['auth'], summary: 'Sign out: every token of this session is refused from now on', security: [{ bearer: [] }] },
    },
    async (request, reply) => {
      const p = signedIn(request);
      if (p.session) sessions.revoke(p.session);
      return reply.code(204).send();
    },
  );
};
export default route;
