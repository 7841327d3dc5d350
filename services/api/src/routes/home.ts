import type { FastifyPluginAsync } from 'fastify';

export interface HomeDeps {
  /** Where the OpenAPI UI is served (the operations server), once it listens; null when there is none. */
  docsUrl: () => string | null;
}

/**
 * `GET /`: a browser is sent to the dashboard; anything else gets the links a newcomer needs.
 * `GET /docs`: the OpenAPI UI lives on the operations server (METRICS_PORT); this sends there.
 */
const home: FastifyPluginAsync<HomeDeps> = async (app, deps) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if ((request.headers.accept ?? '').includes('text/html')) return reply.redirect('/dashboard', 302);
    return {
      dashboard: '/dashboard',
      docs: deps.docsUrl() ? '/docs' : null,
      health: '/readyz',
      reports: '/platform-stats?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD (Authorization: Bearer $(npx notify-stats token))',
    };
  });
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    const docs = deps.docsUrl();
    if (!docs) return reply.code(404).send({ message: 'No operations server runs with this API (METRICS_PORT), so no OpenAPI UI', status_code: 404 });
    return reply.redirect(docs, 302);
  });
};
export default home;
