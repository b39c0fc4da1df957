import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../connectors/catalog.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { errorResponses, freeObject } from './schemas.js';

const connectorView = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Catalog id, used as connectorId' },
    uuid: { type: 'string' },
    displayName: { type: 'string' },
    description: { type: ['string', 'null'] },
    type: { type: 'string' },
    category: { type: 'string' },
    provider: { type: ['string', 'null'] },
    version: { type: 'string' },
    iconUrl: { type: ['string', 'null'] },
    documentationUrl: { type: ['string', 'null'] },
    configSchema: freeObject,
    authSchema: { type: ['object', 'null'], additionalProperties: true },
    supportedMethods: { type: ['array', 'null'], items: { type: 'string' } },
    rateLimits: { type: ['object', 'null'], additionalProperties: true },
    isBuiltIn: { type: 'boolean' },
    actions: {
      type: 'array',
      description: "The connector's actions with their JSON Schemas",
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          classification: { enum: ['read', 'write', 'destructive'] },
          idempotent: { type: 'boolean' },
          input: freeObject,
          output: freeObject,
        },
      },
    },
  },
} as const;

export async function connectorRoutes(
  app: FastifyInstance,
  { catalog }: { catalog: Catalog },
): Promise<void> {
  const tags = ['connectors'];
  app.get<{ Querystring: { type?: string; category?: string; provider?: string } }>(
    '/connectors',
    {
      schema: {
        tags,
        summary: 'List the connector catalog',
        querystring: {
          type: 'object',
          properties: {
            type: { enum: ['rest', 'soap', 'grpc', 'database', 'file', 'email', 'custom'] },
            category: { type: 'string', maxLength: 100 },
            provider: { type: 'string', maxLength: 255 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: connectorView } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ items: await catalog.list(tenantOf(request), request.query) }),
  );

  app.get<{ Params: { id: string } }>(
    '/connectors/:id',
    {
      schema: {
        tags,
        summary: 'Get a connector by catalog id or UUID',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 255 } },
          required: ['id'],
          additionalProperties: false,
        },
        response: { 200: connectorView, ...errorResponses },
      },
    },
    (request) => catalog.get(tenantOf(request), request.params.id),
  );
}
