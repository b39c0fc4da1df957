import type { FastifyInstance } from 'fastify';
import type { ConnectionService } from '../connectors/connections.js';
import type { EndpointService } from '../connectors/endpoints.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { STORED_TRANSFORMATIONS_SCHEMA } from '../transform/index.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, freeObject, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const environment = { enum: ['development', 'staging', 'production'] } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

const healthCheckView = {
  type: 'object',
  properties: {
    id: uuid,
    kind: {
      enum: ['test', 'health', 'auth'],
      description: 'on-demand test, scheduled check, or token refresh',
    },
    status: { enum: ['healthy', 'unhealthy'] },
    message: { type: 'string' },
    details: { type: ['object', 'null'], additionalProperties: true },
    checkedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const connectionBody = {
  type: 'object',
  properties: {
    connectorId: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'Catalog id (e.g. `rest`) or connector UUID',
    },
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: ['string', 'null'], maxLength: 5000 },
    environment,
    config: { ...freeObject, description: "Validated against the connector's config schema" },
    authConfig: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'Non-secret auth settings',
    },
    credentials: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'Secrets: encrypted at rest, never returned',
    },
    healthCheckInterval: { type: 'integer', minimum: 10, maximum: 86_400 },
    status: { enum: ['active', 'inactive'] },
    transformations: STORED_TRANSFORMATIONS_SCHEMA,
  },
  additionalProperties: false,
} as const;

const connectionView = {
  type: 'object',
  properties: {
    id: uuid,
    connectorId: { type: 'string' },
    connectorVersion: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    environment: { type: 'string' },
    config: freeObject,
    authConfig: { type: ['object', 'null'], additionalProperties: true },
    credentials: {
      type: ['object', 'null'],
      additionalProperties: { type: 'string' },
      description: 'Field names, masked',
    },
    status: { type: 'string' },
    healthStatus: { type: 'string' },
    healthCheckInterval: { type: 'integer' },
    lastHealthCheck: { type: ['string', 'null'] },
    lastTested: { type: ['string', 'null'] },
    transformations: { description: 'Stored pipelines { request?, response? } or null' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const endpointBody = {
  type: 'object',
  properties: {
    endpointName: { type: 'string', minLength: 1, maxLength: 255 },
    endpointUrl: {
      type: 'string',
      minLength: 1,
      maxLength: 2000,
      description: "Path relative to the connection's base URL",
    },
    httpMethod: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
    headers: { ...stringMap, type: ['object', 'null'] },
    queryParams: { ...stringMap, type: ['object', 'null'] },
    bodyTemplate: { description: 'Template rendered over the call data: the request body sent' },
    responseMapping: {
      description: 'JSONata text, { expression } or { fields }: maps a successful answer',
    },
    transformations: STORED_TRANSFORMATIONS_SCHEMA,
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    retryConfig: { type: ['object', 'null'], additionalProperties: true },
    rateLimitConfig: { type: ['object', 'null'], additionalProperties: true },
    isActive: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const endpointView = {
  type: 'object',
  properties: {
    id: uuid,
    connectionId: uuid,
    endpointName: { type: 'string' },
    endpointUrl: { type: 'string' },
    httpMethod: { type: 'string' },
    headers: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    queryParams: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    bodyTemplate: {},
    responseMapping: {},
    transformations: {},
    timeoutSeconds: { type: 'integer' },
    retryConfig: { type: ['object', 'null'], additionalProperties: true },
    rateLimitConfig: { type: ['object', 'null'], additionalProperties: true },
    isActive: { type: 'boolean' },
    createdAt: { type: 'string' },
  },
} as const;

const endpointParams = {
  type: 'object',
  properties: { id: uuid, endpointId: uuid },
  required: ['id', 'endpointId'],
  additionalProperties: false,
} as const;

type ConnectionBody = Parameters<ConnectionService['create']>[2];
type EndpointBody = Parameters<EndpointService['create']>[3];

export async function connectionRoutes(
  app: FastifyInstance,
  { connections, endpoints }: { connections: ConnectionService; endpoints: EndpointService },
): Promise<void> {
  const tags = ['connections'];

  app.get<{
    Querystring: {
      limit: number;
      cursor?: string;
      status?: string;
      connectorId?: string;
      environment?: string;
      search?: string;
    };
  }>(
    '/connections',
    {
      schema: {
        tags,
        summary: 'List connections',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            status: { enum: ['active', 'inactive', 'error', 'testing'] },
            connectorId: { type: 'string', maxLength: 255 },
            environment,
            search: { type: 'string', maxLength: 255, description: 'Text in the name' },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(connectionView), ...errorResponses },
      },
    },
    (request) => connections.list(tenantOf(request), request.query),
  );

  app.post<{ Body: ConnectionBody }>(
    '/connections',
    {
      schema: {
        tags,
        summary: 'Create a connection',
        body: { ...connectionBody, required: ['connectorId', 'name', 'config'] },
        response: { 201: connectionView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await connections.create(request.context, tenantOf(request), request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: 'Get a connection',
        params: idParams,
        response: { 200: connectionView, ...errorResponses },
      },
    },
    (request) => connections.get(tenantOf(request), request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/connections/:id/health',
    {
      schema: {
        tags,
        summary: "A connection's test and health-check history, newest first",
        params: idParams,
        querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
        response: { 200: pageOf(healthCheckView), ...errorResponses },
      },
    },
    (request) => connections.healthHistory(tenantOf(request), request.params.id, request.query),
  );

  const { connectorId: _fixed, ...patchProperties } = connectionBody.properties;
  app.patch<{ Params: { id: string }; Body: Omit<ConnectionBody, 'connectorId'> }>(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: 'Update a connection (credentials, when given, are replaced whole)',
        params: idParams,
        body: { ...connectionBody, properties: patchProperties, minProperties: 1 },
        response: { 200: connectionView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    (request) => connections.update(request.context, tenantOf(request), request.params.id, request.body),
  );

  deleteByIdRoute(
    app,
    '/connections/:id',
    { tags, summary: 'Delete a connection' },
    (context, tenantId, id) => connections.remove(context, tenantId, id),
  );

  const endpointTags = ['connection endpoints'];
  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/connections/:id/endpoints',
    {
      schema: {
        tags: endpointTags,
        summary: "List a connection's endpoints in name order",
        params: idParams,
        querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
        response: { 200: pageOf(endpointView), ...errorResponses },
      },
    },
    (request) => endpoints.list(tenantOf(request), request.params.id, request.query),
  );

  app.post<{ Params: { id: string }; Body: EndpointBody }>(
    '/connections/:id/endpoints',
    {
      schema: {
        tags: endpointTags,
        summary: 'Create an endpoint',
        params: idParams,
        body: { ...endpointBody, required: ['endpointName', 'endpointUrl'] },
        response: { 201: endpointView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await endpoints.create(request.context, tenantOf(request), request.params.id, request.body)),
  );

  app.get<{ Params: { id: string; endpointId: string } }>(
    '/connections/:id/endpoints/:endpointId',
    {
      schema: {
        tags: endpointTags,
        summary: 'Get an endpoint',
        params: endpointParams,
        response: { 200: endpointView, ...errorResponses },
      },
    },
    (request) => endpoints.get(tenantOf(request), request.params.id, request.params.endpointId),
  );

  app.patch<{ Params: { id: string; endpointId: string }; Body: Partial<EndpointBody> }>(
    '/connections/:id/endpoints/:endpointId',
    {
      schema: {
        tags: endpointTags,
        summary: 'Update an endpoint',
        params: endpointParams,
        body: { ...endpointBody, minProperties: 1 },
        response: { 200: endpointView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    (request) =>
      endpoints.update(
        request.context,
        tenantOf(request),
        request.params.id,
        request.params.endpointId,
        request.body,
      ),
  );

  app.delete<{ Params: { id: string; endpointId: string } }>(
    '/connections/:id/endpoints/:endpointId',
    {
      schema: {
        tags: endpointTags,
        summary: 'Delete an endpoint',
        params: endpointParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await endpoints.remove(
        request.context,
        tenantOf(request),
        request.params.id,
        request.params.endpointId,
      );
      return reply.code(204).send();
    },
  );
}
