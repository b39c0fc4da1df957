import type { FastifyInstance } from 'fastify';
import { errorResponses } from './schemas.js';

/** Who the caller is: the dashboard asks once after sign-in to know whether to offer mutating controls. */
export async function meRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/me',
    {
      schema: {
        tags: ['api keys'],
        summary: 'The authenticated caller: tenant, role and credential kind',
        response: {
          200: {
            type: 'object',
            properties: {
              tenantId: { type: ['string', 'null'] },
              role: { enum: ['owner', 'admin', 'editor', 'viewer'] },
              kind: { enum: ['api_key', 'jwt'] },
              subject: { type: 'string' },
            },
            required: ['tenantId', 'role', 'kind', 'subject'],
            additionalProperties: false,
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { tenantId, role, kind, subject } = request.principal;
      return { tenantId, role, kind, subject };
    },
  );
}
