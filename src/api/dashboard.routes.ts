/**
 * The dashboard (dashboard/dist, built by `npm run build:dashboard`) at `/`: hashed assets with a long
 * cache, and index.html for every other page path so the SPA's own router picks the page. Paths of the
 * API and the other public surfaces keep their problem-document 404s. Public: the page asks for a key
 * and every API call it makes is authenticated as usual.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { KryonixError } from '../platform/errors.js';

/** Where `vite build dashboard` writes, from src/api (tsx) and dist/api (built) alike. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/**
 * Paths that belong to the platform, never to the SPA: unknown ones stay 404 problem documents. Bare
 * `/webhooks` is the dashboard's page; inbound webhooks live below it (`/webhooks/:slug`).
 */
const RESERVED = /^\/(api|health|metrics|docs|openapi\.json)(\/|$)|^\/webhooks\//;

/** The page runs only its own bundle and talks only to its own origin. */
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export async function dashboardRoutes(app: FastifyInstance, { root = DASHBOARD_DIST } = {}): Promise<void> {
  if (!existsSync(`${root}index.html`)) {
    app.log.warn({ root }, 'dashboard not built (npm run build:dashboard): / is not served');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });

  app.get<{ Params: { '*': string } }>(
    '/*',
    { config: { access: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      const path = request.url.split('?')[0];
      if (RESERVED.test(path)) {
        throw new KryonixError('KRX_ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
      }
      const file = request.params['*'];
      if (file.startsWith('assets/')) {
        // Content-hashed names: safe to keep for a year. A missing one falls to the problem 404.
        return reply.sendFile(file, { maxAge: '365d', immutable: true });
      }
      // A file name (favicon.ico...): the file or the problem 404; `send` keeps it inside the root.
      if ((file.split('/').pop() ?? '').includes('.')) return reply.sendFile(file, { maxAge: '1h' });
      return reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .sendFile('index.html', { cacheControl: false });
    },
  );
}
