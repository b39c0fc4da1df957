import type { FastifyInstance } from 'fastify';
import type {
  RateLimitAdmin,
  RateLimitInput,
  RateLimitListQuery,
  RateLimitLogQuery,
  RateLimitPatch,
} from '../gateway/ratelimit-admin.js';
import { LIMIT_TYPES, MAX_WINDOW_SECONDS, RULE_SCOPES } from '../gateway/ratelimit-rules.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const nullableUuid = { type: ['string', 'null'], format: 'uuid' } as const;

const ruleBody = {
  type: 'object',
  properties: {
    resourceType: {
      enum: [...RULE_SCOPES],
      description:
        "What is counted: `global` / `tenant` (all the tenant's calls), `api_key`, `connection`, `endpoint`",
    },
    resourceId: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 255,
      description:
        'api_key: a key id (null = each key counted apart); connection: a connection id (null = each ' +
        'connection); endpoint: a path pattern, `*` matching any characters (`/users/*`); else null',
    },
    connectionId: {
      ...nullableUuid,
      description: 'Only calls through this connection are counted (any scope)',
    },
    limitType: {
      enum: Object.keys(LIMIT_TYPES),
      description: '`requests_per_second|minute|hour|day`, or `requests` per `windowSeconds`',
    },
    limitValue: {
      type: 'integer',
      minimum: 0,
      maximum: 1_000_000_000_000,
      description: 'Requests admitted per window (0 blocks)',
    },
    windowSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_WINDOW_SECONDS,
      description: 'Window length; implied by the `requests_per_*` types. Windows are aligned to UTC.',
    },
    isActive: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const ruleView = {
  type: 'object',
  properties: {
    id: uuid,
    resourceType: { type: 'string' },
    resourceId: { type: ['string', 'null'] },
    connectionId: { type: ['string', 'null'] },
    limitType: { type: 'string' },
    limitValue: { type: 'integer' },
    windowSeconds: { type: 'integer' },
    isActive: { type: 'boolean' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const logView = {
  type: 'object',
  properties: {
    id: uuid,
    rateLimitId: { type: ['string', 'null'], description: 'null: the platform default limit' },
    resourceIdentifier: { type: ['string', 'null'], description: 'The counted subject, e.g. `api_key:<id>`' },
    requestsCount: { type: 'integer', description: 'Requests rejected in the window' },
    limitExceeded: { type: 'boolean' },
    windowStart: { type: 'string' },
    resetTime: { type: ['string', 'null'], description: 'End of the window' },
  },
} as const;

export async function rateLimitRoutes(
  app: FastifyInstance,
  { rateLimits }: { rateLimits: RateLimitAdmin },
): Promise<void> {
  const tags = ['rate limits'];

  app.get<{ Querystring: RateLimitListQuery }>(
    '/rate-limits',
    {
      schema: {
        tags,
        summary: "List the tenant's rate-limit rules",
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            resourceType: { enum: [...RULE_SCOPES] },
            connectionId: uuid,
            isActive: { type: 'boolean' },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(ruleView), ...errorResponses },
      },
    },
    (request) => rateLimits.list(tenantOf(request), request.query),
  );

  app.get<{ Querystring: RateLimitLogQuery }>(
    '/rate-limits/logs',
    {
      schema: {
        tags,
        summary: 'Rejections, aggregated per rule, subject and window',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            rateLimitId: uuid,
            from: { type: 'string', format: 'date-time', description: 'Windows starting at or after' },
            to: { type: 'string', format: 'date-time', description: 'Windows starting at or before' },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(logView), ...errorResponses },
      },
    },
    (request) => rateLimits.logs(tenantOf(request), request.query),
  );

  app.post<{ Body: RateLimitInput }>(
    '/rate-limits',
    {
      schema: {
        tags,
        summary: 'Create a rate-limit rule',
        body: { ...ruleBody, required: ['resourceType', 'limitType', 'limitValue'] },
        response: { 201: ruleView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await rateLimits.create(request.context, tenantOf(request), request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/rate-limits/:id',
    {
      schema: {
        tags,
        summary: 'Get a rate-limit rule',
        params: idParams,
        response: { 200: ruleView, ...errorResponses },
      },
    },
    (request) => rateLimits.get(tenantOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: RateLimitPatch }>(
    '/rate-limits/:id',
    {
      schema: {
        tags,
        summary: 'Update a rate-limit rule (takes effect on every node at once)',
        params: idParams,
        body: { ...ruleBody, minProperties: 1 },
        response: { 200: ruleView, ...errorResponses },
      },
    },
    (request) => rateLimits.update(request.context, tenantOf(request), request.params.id, request.body),
  );

  deleteByIdRoute(
    app,
    '/rate-limits/:id',
    { tags, summary: 'Delete a rate-limit rule' },
    (context, tenantId, id) => rateLimits.remove(context, tenantId, id),
  );
}
