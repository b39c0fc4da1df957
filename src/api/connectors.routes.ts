import type { FastifyInstance } from 'fastify';
import type { Catalog, CatalogQuery } from '../connectors/catalog.js';
import { importOpenApi, MAX_DOCUMENT_BYTES } from '../connectors/custom/openapi.js';
import { createCustomConnectorService } from '../connectors/custom/service.js';
import type { Database } from '../platform/db/client.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, freeObject, pageOf, pageQuery } from './schemas.js';

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

const customBody = {
  ...freeObject,
  description:
    'A custom REST connector: { id, displayName, description, category, version, config (JSON Schema with baseUrl), auth (auth method names), actions: [{ name, description, method, path, input, query, headers, body, responseMapping, output, classification, idempotent }], testAction }',
} as const;

const customView = {
  ...freeObject,
  description: 'The custom connector definition, with uuid, createdAt and updatedAt',
} as const;

const connectorIdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 255 } },
  required: ['id'],
  additionalProperties: false,
} as const;

export async function connectorRoutes(
  app: FastifyInstance,
  { catalog, db }: { catalog: Catalog; db: Database },
): Promise<void> {
  const tags = ['connectors'];
  const custom = createCustomConnectorService(db);
  app.get<{ Querystring: CatalogQuery }>(
    '/connectors',
    {
      schema: {
        tags,
        summary: 'List the connector catalog in name order (filters ignore case)',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            type: {
              type: 'string',
              maxLength: 50,
              description: 'rest, soap, grpc, database, file, email or custom',
            },
            category: { type: 'string', maxLength: 100 },
            provider: { type: 'string', maxLength: 255 },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(connectorView), ...errorResponses },
      },
    },
    (request) => catalog.list(tenantOf(request), request.query),
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

  app.get<{ Params: { id: string } }>(
    '/connectors/:id/definition',
    {
      schema: {
        tags,
        summary: "Get a tenant's custom connector definition (as saved, for editing)",
        params: connectorIdParams,
        response: { 200: customView, ...errorResponses },
      },
    },
    (request) => custom.get(tenantOf(request), request.params.id),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/connectors',
    {
      schema: {
        tags,
        summary: 'Define a custom REST connector (validated on save)',
        body: customBody,
        response: { 201: customView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await custom.create(request.context, tenantOf(request), request.body)),
  );

  app.post<{ Body: { id: string; displayName?: string; document: unknown; include?: string[] } }>(
    '/connectors/import',
    {
      schema: {
        tags,
        summary: 'Import a custom connector from an OpenAPI 3.x document (JSON object or YAML string)',
        body: {
          type: 'object',
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 100 },
            displayName: { type: 'string', minLength: 1, maxLength: 255 },
            document: {
              type: ['object', 'string'],
              maxLength: MAX_DOCUMENT_BYTES,
              description: 'The OpenAPI document: a JSON object or a YAML (or JSON) string',
            },
            include: {
              type: 'array',
              maxItems: 1000,
              items: { type: 'string', minLength: 1, maxLength: 255 },
              description: 'operationIds to import (default: all)',
            },
          },
          required: ['id', 'document'],
          additionalProperties: false,
        },
        response: { 201: customView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const definition = importOpenApi(request.body);
      return reply.code(201).send(await custom.create(request.context, tenantOf(request), definition));
    },
  );

  app.patch<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/connectors/:id',
    {
      schema: {
        tags,
        summary: "Change a tenant's custom connector; the version is bumped (connections keep theirs)",
        params: connectorIdParams,
        body: customBody,
        response: { 200: customView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    (request) => custom.update(request.context, tenantOf(request), request.params.id, request.body),
  );

  deleteByIdRoute(
    app,
    '/connectors/:id',
    {
      tags,
      summary: "Delete a tenant's custom connector that no connection uses",
      params: connectorIdParams,
      conflict: true,
    },
    (context, tenantId, id) => custom.remove(context, tenantId, id),
  );
}
