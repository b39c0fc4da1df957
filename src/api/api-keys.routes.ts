import type { FastifyInstance } from 'fastify';
import type { KeyService } from '../platform/auth/key-service.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, pageOf, pageQuery, uuid } from './schemas.js';

export const apiKeyView = {
  type: 'object',
  properties: {
    id: uuid,
    tenantId: { type: ['string', 'null'] },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'First characters of the key' },
    role: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
    lastUsedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

export const newKeyBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    role: { enum: ['admin', 'editor', 'viewer'] },
    expiresAt: { type: 'string', format: 'date-time', description: 'When the key stops working' },
  },
  required: ['name', 'role'],
  additionalProperties: false,
} as const;

export const createdKey = {
  type: 'object',
  properties: {
    key: { type: 'string', description: 'The key itself: shown this once only' },
    apiKey: apiKeyView,
  },
} as const;

export interface NewKeyBody {
  name: string;
  role: 'admin' | 'editor' | 'viewer';
  expiresAt?: string;
}

export async function apiKeyRoutes(app: FastifyInstance, { keys }: { keys: KeyService }): Promise<void> {
  const tags = ['api keys'];
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "List the tenant's API keys, newest first",
        querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
        response: { 200: pageOf(apiKeyView), ...errorResponses },
      },
    },
    (request) => keys.list(tenantOf(request), request.query),
  );

  app.post<{ Body: NewKeyBody }>(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key',
        body: newKeyBody,
        response: { 201: createdKey, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, view } = await keys.create(request.context, tenantOf(request), {
        name: request.body.name,
        role: request.body.role,
        expiresAt: request.body.expiresAt ? new Date(request.body.expiresAt) : null,
      });
      return reply.code(201).send({ key, apiKey: view });
    },
  );

  deleteByIdRoute(
    app,
    '/api-keys/:id',
    { tags, summary: 'Revoke an API key', access: 'admin' },
    (context, tenantId, id) => keys.revoke(context, tenantId, id),
  );
}
