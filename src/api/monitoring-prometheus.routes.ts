import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { KryonixError } from '../platform/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `GET /metrics` in the Prometheus text format. Not behind API keys (Prometheus scrapes with a static
 * bearer token): when KRYONIX_METRICS_TOKEN is set it must be sent as `Authorization: Bearer <token>`.
 */
export async function prometheusRoutes(
  app: FastifyInstance,
  {
    metrics,
    contentType,
    token,
  }: { metrics: () => Promise<string>; contentType: string; token: string | undefined },
): Promise<void> {
  const expected = token ? digest(token) : undefined;
  app.get(
    '/metrics',
    {
      config: { access: 'public' },
      schema: {
        tags: ['monitoring'],
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description: 'Needs `Authorization: Bearer $KRYONIX_METRICS_TOKEN` when that variable is set.',
        security: [{ bearer: [] }],
        response: { 200: { type: 'string' }, 401: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      if (expected) {
        const [scheme, value] = (request.headers.authorization ?? '').split(' ', 2);
        const ok =
          scheme?.toLowerCase() === 'bearer' && value && timingSafeEqual(digest(value.trim()), expected);
        if (!ok)
          throw new KryonixError(
            'KRX_UNAUTHENTICATED',
            'send the metrics token as Authorization: Bearer <token>',
            {
              headers: { 'www-authenticate': 'Bearer' },
            },
          );
      }
      return reply.type(contentType).send(await metrics());
    },
  );
}
