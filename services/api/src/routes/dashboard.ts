import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** The static page: html, css and ES modules, served as they are in the repo (no build step). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * Chart.js's own UMD file, from the installed package (nothing from a CDN). The package's
 * `exports` do not list `dist/chart.umd.js`, so `require.resolve('chart.js/dist/chart.umd.js')`
 * is refused (ERR_PACKAGE_PATH_NOT_EXPORTED); the main entry resolves, and lives next to it.
 */
export const CHART_JS_DIR = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
const CHART_JS_FILES = new Set(['/chart.umd.js', '/chart.umd.js.map']);

// The page loads only its own files and talks only to this API; nothing inline, no framing.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * `GET /dashboard`: the operators' dashboard. The page itself is public (it holds no data and no
 * secret); every call it makes is authenticated with a short-lived session token from
 * POST /auth/session, for which the browser signs one token with the secret it then drops, and
 * which it keeps in memory only (see dashboard/js/auth.js).
 */
const dashboard: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache');
    return payload;
  });
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: '/dashboard/',
    index: false,
    redirect: false,
    // reply.sendFile, for the page itself below (decorated in this plugin's context only).
    decorateReply: true,
    dotfiles: 'deny',
  });
  // The app ignores trailing slashes, so `/dashboard/` arrives here too (never at `/dashboard/*`).
  app.get('/dashboard', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  await app.register(fastifyStatic, {
    root: CHART_JS_DIR,
    prefix: '/dashboard/vendor/',
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => CHART_JS_FILES.has(pathName),
  });
};
export default dashboard;
