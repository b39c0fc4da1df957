import type { FastifyInstance } from 'fastify';
import { tenantOf } from '../platform/http/authenticate.js';
import { DELIVERY_STATUSES } from '../webhooks/deliveries.js';
import type { EndpointInput } from '../webhooks/endpoints.js';
import { EVENT_CATALOG, type Webhooks } from '../webhooks/index.js';
import { RETRY_CONFIG_SCHEMA } from '../webhooks/outbound/retry-schedule.js';
import { AUTH_TYPES } from '../webhooks/signing/index.js';
import type { SubscriptionInput } from '../webhooks/subscriptions.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const any = {} as const;
const nullableString = { type: ['string', 'null'] } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 } } as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const conflict = { 409: { $ref: 'Problem#' } } as const;

const endpointBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: ['string', 'null'], maxLength: 5000 },
    authenticationType: { enum: [...AUTH_TYPES] },
    secretKey: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 1024,
      description: "The provider's signing secret",
    },
    authConfig: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'Settings of the authentication type',
    },
    allowedMethods: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: METHODS } },
    allowedSources: {
      type: ['array', 'null'],
      maxItems: 500,
      items: { type: 'string', maxLength: 64 },
      description: 'IPs and CIDRs (v4 and v6); null allows any source',
    },
    payloadValidationSchema: { type: ['object', 'boolean', 'null'], description: 'JSON Schema of the body' },
    transformationConfig: { type: ['array', 'null'], maxItems: 50, description: 'Transform pipeline steps' },
    responseConfig: {
      type: ['object', 'null'],
      properties: {
        status: { type: 'integer', minimum: 200, maximum: 299 },
        headers: stringMap,
        body: any,
      },
      additionalProperties: false,
    },
    rateLimit: { type: 'integer', minimum: 1, maximum: 100_000_000, description: 'Requests per hour' },
    isActive: { type: 'boolean' },
    options: {
      type: ['object', 'null'],
      properties: {
        dedupWindowSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400 },
        handshakes: {
          type: 'object',
          properties: {
            slack: { type: 'boolean' },
            graph: { type: 'boolean' },
            getChallenge: {
              type: ['object', 'null'],
              properties: {
                param: { type: 'string', minLength: 1, maxLength: 100 },
                verifyTokenParam: { type: 'string', minLength: 1, maxLength: 100 },
              },
              required: ['param'],
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    verifyToken: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 1024,
      description: 'For the GET challenge',
    },
  },
  additionalProperties: false,
} as const;

const endpointView = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    description: nullableString,
    url: { type: 'string', description: 'Path of the inbound URL: /webhooks/<slug>' },
    authenticationType: { type: 'string' },
    authConfig: { type: ['object', 'null'], additionalProperties: true },
    secretKey: { ...nullableString, description: 'Masked' },
    secretRotationEndsAt: nullableString,
    generatedSecret: { type: 'string', description: 'Only when the platform generated the secret' },
    allowedMethods: { type: 'array', items: { type: 'string' } },
    allowedSources: { type: ['array', 'null'], items: { type: 'string' } },
    payloadValidationSchema: any,
    transformationConfig: any,
    responseConfig: any,
    rateLimit: { type: 'integer' },
    isActive: { type: 'boolean' },
    options: any,
    lastTriggered: nullableString,
    triggerCount: { type: 'integer' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const targetAuth = {
  type: ['object', 'null'],
  oneOf: [
    { type: 'null' },
    {
      type: 'object',
      properties: { type: { const: 'none' } },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        type: { const: 'basic' },
        username: { type: 'string', minLength: 1, maxLength: 256 },
        password: { type: 'string', minLength: 1, maxLength: 1024 },
      },
      required: ['type', 'username', 'password'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { type: { const: 'bearer' }, token: { type: 'string', minLength: 1, maxLength: 4096 } },
      required: ['type', 'token'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        type: { const: 'header' },
        headerName: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
        },
        headerValue: { type: 'string', minLength: 1, maxLength: 4096 },
      },
      required: ['type', 'headerName', 'headerValue'],
      additionalProperties: false,
    },
  ],
} as const;

const subscriptionBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: ['string', 'null'], maxLength: 5000 },
    targetUrl: { type: 'string', minLength: 1, maxLength: 2048 },
    events: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      items: { type: 'string', pattern: '^(\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?)$', maxLength: 255 },
      description: 'Event types; `api.call.*` matches a prefix, `*` everything',
    },
    eventFilters: {
      type: ['object', 'null'],
      description: '{ expression } (JSONata) or { where } over { type, timestamp, data }',
    },
    headers: { ...stringMap, type: ['object', 'null'], maxProperties: 50 },
    authentication: targetAuth,
    payloadTemplate: { description: 'Template over { type, timestamp, data }; default sends that envelope' },
    retryConfig: RETRY_CONFIG_SCHEMA,
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300 },
    isActive: { type: 'boolean' },
    signingSecret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$' },
  },
  additionalProperties: false,
} as const;

const subscriptionView = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    description: nullableString,
    targetUrl: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    eventFilters: any,
    headers: any,
    authentication: any,
    payloadTemplate: any,
    retryConfig: any,
    timeoutSeconds: { type: 'integer' },
    isActive: { type: 'boolean' },
    disabledReason: nullableString,
    lastSent: nullableString,
    sendCount: { type: 'integer' },
    successCount: { type: 'integer' },
    failureCount: { type: 'integer' },
    failingSince: nullableString,
    secretRotationEndsAt: nullableString,
    signingSecret: { type: 'string', description: 'Only in the answer to creation' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const deliveryView = {
  type: 'object',
  properties: {
    id: uuid,
    direction: { enum: ['inbound', 'outbound'] },
    subscriptionId: nullableString,
    endpointId: nullableString,
    eventType: { type: 'string' },
    eventId: nullableString,
    messageId: nullableString,
    targetUrl: { type: 'string' },
    status: { type: 'string' },
    attemptNumber: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    responseStatus: { type: ['integer', 'null'] },
    errorMessage: nullableString,
    deliveryTime: { type: ['integer', 'null'] },
    nextRetryAt: nullableString,
    deliveredAt: nullableString,
    createdAt: { type: 'string' },
    payload: any,
    eventData: any,
    requestHeaders: any,
    responseHeaders: any,
    responseBody: nullableString,
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attemptNumber: { type: 'integer' },
          requestHeaders: any,
          responseStatus: { type: ['integer', 'null'] },
          responseHeaders: any,
          responseBody: nullableString,
          durationMs: { type: ['integer', 'null'] },
          errorMessage: nullableString,
          createdAt: { type: 'string' },
        },
      },
    },
  },
} as const;

const secretView = {
  type: 'object',
  properties: {
    secret: nullableString,
    previous: { type: 'array', items: { type: 'string' } },
    rotationEndsAt: nullableString,
  },
} as const;

const activeQuery = {
  type: 'object',
  properties: { ...pageQuery, isActive: { type: 'boolean' } },
  additionalProperties: false,
} as const;

export async function webhookRoutes(
  app: FastifyInstance,
  { webhooks }: { webhooks: Webhooks },
): Promise<void> {
  const { endpoints, subscriptions, deliveries } = webhooks;
  const tags = ['webhooks'];

  // Inbound endpoints
  app.get<{ Querystring: { limit: number; cursor?: string; isActive?: boolean } }>(
    '/webhooks/endpoints',
    {
      schema: {
        tags,
        summary: 'List inbound endpoints',
        querystring: activeQuery,
        response: { 200: pageOf(endpointView), ...errorResponses },
      },
    },
    (request) => endpoints.list(tenantOf(request), request.query),
  );
  app.post<{ Body: EndpointInput }>(
    '/webhooks/endpoints',
    {
      schema: {
        tags,
        summary: 'Create an inbound endpoint (answers with its url)',
        body: { ...endpointBody, required: ['name'] },
        response: { 201: endpointView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await endpoints.create(request.context, tenantOf(request), request.body)),
  );
  app.get<{ Params: { id: string } }>(
    '/webhooks/endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get an inbound endpoint',
        params: idParams,
        response: { 200: endpointView, ...errorResponses },
      },
    },
    (request) => endpoints.get(request.context, tenantOf(request), request.params.id),
  );
  app.patch<{ Params: { id: string }; Body: Partial<EndpointInput> }>(
    '/webhooks/endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Update an inbound endpoint',
        params: idParams,
        body: { ...endpointBody, minProperties: 1 },
        response: { 200: endpointView, ...errorResponses },
      },
    },
    (request) => endpoints.update(request.context, tenantOf(request), request.params.id, request.body),
  );
  deleteByIdRoute(
    app,
    '/webhooks/endpoints/:id',
    { tags, summary: 'Delete an inbound endpoint' },
    (context, tenantId, id) => endpoints.remove(context, tenantId, id),
  );
  app.post<{ Params: { id: string }; Body: { secretKey?: string; overlapSeconds?: number } }>(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Rotate the secret; the previous one is still accepted during the overlap',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            secretKey: { type: 'string', minLength: 1, maxLength: 1024 },
            overlapSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400, default: 86_400 },
          },
          additionalProperties: false,
        },
        response: { 200: endpointView, ...errorResponses },
      },
    },
    (request) =>
      endpoints.rotateSecret(request.context, tenantOf(request), request.params.id, request.body ?? {}),
  );
  app.get<{ Params: { id: string }; Querystring: { since?: string } }>(
    '/webhooks/endpoints/:id/rejections',
    {
      schema: {
        tags,
        summary: 'Rejected requests, counted per minute and reason',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { since: { type: 'string', format: 'date-time' } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    windowStart: { type: 'string' },
                    status: { type: 'integer' },
                    reason: { type: 'string' },
                    count: { type: 'integer' },
                    sample: any,
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      items: await endpoints.rejections(
        tenantOf(request),
        request.params.id,
        request.query.since ? new Date(request.query.since) : undefined,
      ),
    }),
  );

  // Outbound subscriptions
  app.get<{ Querystring: { limit: number; cursor?: string; isActive?: boolean } }>(
    '/webhooks/subscriptions',
    {
      schema: {
        tags,
        summary: 'List subscriptions',
        querystring: activeQuery,
        response: { 200: pageOf(subscriptionView), ...errorResponses },
      },
    },
    (request) => subscriptions.list(request.context, tenantOf(request), request.query),
  );
  app.post<{ Body: SubscriptionInput }>(
    '/webhooks/subscriptions',
    {
      schema: {
        tags,
        summary: 'Create a subscription (answers with its signing secret)',
        body: { ...subscriptionBody, required: ['name', 'targetUrl', 'events'] },
        response: { 201: subscriptionView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await subscriptions.create(request.context, tenantOf(request), request.body)),
  );
  app.get<{ Params: { id: string } }>(
    '/webhooks/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Get a subscription',
        params: idParams,
        response: { 200: subscriptionView, ...errorResponses },
      },
    },
    (request) => subscriptions.get(request.context, tenantOf(request), request.params.id),
  );
  const { signingSecret: _imported, ...patchProperties } = subscriptionBody.properties;
  app.patch<{ Params: { id: string }; Body: Partial<SubscriptionInput> }>(
    '/webhooks/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Update a subscription (isActive: true re-enables a disabled one)',
        params: idParams,
        body: { ...subscriptionBody, properties: patchProperties, minProperties: 1 },
        response: { 200: subscriptionView, ...errorResponses },
      },
    },
    (request) => subscriptions.update(request.context, tenantOf(request), request.params.id, request.body),
  );
  deleteByIdRoute(
    app,
    '/webhooks/subscriptions/:id',
    { tags, summary: 'Delete a subscription' },
    (context, tenantId, id) => subscriptions.remove(context, tenantId, id),
  );
  app.get<{ Params: { id: string } }>(
    '/webhooks/subscriptions/:id/secret',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The signing secret(s), newest first (audited)',
        params: idParams,
        response: { 200: secretView, ...errorResponses },
      },
    },
    (request) => subscriptions.secret(request.context, tenantOf(request), request.params.id),
  );
  app.post<{ Params: { id: string }; Body: { overlapSeconds?: number; secret?: string } }>(
    '/webhooks/subscriptions/:id/rotate-secret',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Rotate the signing secret; both sign during the overlap',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            overlapSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400 },
            secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$' },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { secret: { type: 'string' }, rotationEndsAt: nullableString } },
          ...errorResponses,
        },
      },
    },
    (request) =>
      subscriptions.rotateSecret(request.context, tenantOf(request), request.params.id, request.body ?? {}),
  );
  app.post<{ Params: { id: string } }>(
    '/webhooks/subscriptions/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a test.event to this subscription',
        params: idParams,
        response: { 202: deliveryView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await deliveries.test(request.context, tenantOf(request), request.params.id)),
  );
  app.post<{ Params: { id: string }; Body: { from?: string; to?: string; status?: 'failed' | 'delivered' } }>(
    '/webhooks/subscriptions/:id/replay',
    {
      schema: {
        tags,
        summary: "Re-send a subscription's deliveries in a time range and status",
        params: idParams,
        body: {
          type: 'object',
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            status: { enum: ['failed', 'delivered'] },
          },
          additionalProperties: false,
        },
        response: {
          202: { type: 'object', properties: { replayed: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await deliveries.replay(request.context, tenantOf(request), request.params.id, request.body ?? {}),
        ),
  );

  // Delivery log
  app.get<{ Querystring: Parameters<Webhooks['deliveries']['list']>[1] }>(
    '/webhooks/deliveries',
    {
      schema: {
        tags,
        summary: 'List deliveries (inbound and outbound), newest first',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            subscriptionId: uuid,
            endpointId: uuid,
            status: { enum: [...DELIVERY_STATUSES] },
            eventType: { type: 'string', maxLength: 255 },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            q: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'Text in the target URL or error message',
            },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(deliveryView), ...errorResponses },
      },
    },
    (request) => deliveries.list(tenantOf(request), request.query),
  );
  app.get<{ Params: { id: string } }>(
    '/webhooks/deliveries/:id',
    {
      schema: {
        tags,
        summary: 'Get a delivery with its attempts',
        params: idParams,
        response: { 200: deliveryView, ...errorResponses },
      },
    },
    (request) => deliveries.get(tenantOf(request), request.params.id),
  );
  app.post<{ Params: { id: string } }>(
    '/webhooks/deliveries/:id/retry',
    {
      schema: {
        tags,
        summary: 'Send an outbound delivery again now',
        params: idParams,
        response: { 202: deliveryView, ...errorResponses, ...conflict },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await deliveries.retry(request.context, tenantOf(request), request.params.id)),
  );

  app.get(
    '/events',
    {
      schema: {
        tags,
        summary: 'The event types subscriptions can match, with the JSON Schema of their data',
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { type: { type: 'string' }, description: { type: 'string' }, schema: any },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ items: EVENT_CATALOG }),
  );
}
