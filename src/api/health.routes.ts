import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

const statusBody = {
  type: 'object',
  properties: {
    status: { enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { enum: ['ok', 'failing'] } },
  },
} as const;

/** Liveness answers while the process runs; readiness only when every dependency can serve. */
export async function healthRoutes(
  app: FastifyInstance,
  { checks }: { checks: ReadinessCheck[] },
): Promise<void> {
  const config = { access: 'public' as const };
  app.get(
    '/health/live',
    { config, schema: { tags: ['health'], response: { 200: statusBody } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    { config, schema: { tags: ['health'], response: { 200: statusBody, 503: statusBody } } },
    async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => [name, await check().catch(() => false)] as const),
      );
      const ready = results.every(([, ok]) => ok);
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'failing'])),
      });
    },
  );
}
