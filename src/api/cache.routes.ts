import type { FastifyInstance } from 'fastify';
import type { CachePolicyInput, CachePolicyService } from '../gateway/cache-policies.js';
import { KryonixError } from '../platform/errors.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const cacheStrategy = {
  enum: ['time_based', 'etag', 'conditional'],
  description:
    '`time_based`: fresh for the TTL when the response states no freshness; `etag`: always revalidated with its validator; `conditional`: served while fresh, revalidated when stale',
} as const;

const endpointPattern = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 500,
  pattern: '^\\S+$',
  description: 'Endpoint path glob (`*` matches any characters, `/` included); null matches every endpoint',
} as const;

const eventPattern = {
  type: 'string',
  maxLength: 100,
  pattern: '^(\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?)$',
} as const;

const cacheConditions = {
  type: ['object', 'null'],
  properties: {
    statusCodes: {
      type: 'array',
      items: { type: 'integer', minimum: 100, maximum: 599 },
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      description: 'Statuses that may be stored (default 200, 203, 204, 300, 301, 308)',
    },
    methods: {
      type: 'array',
      items: { enum: ['GET', 'HEAD'] },
      minItems: 1,
      uniqueItems: true,
      description: 'Methods cached (default GET and HEAD)',
    },
    maxBodyBytes: {
      type: 'integer',
      minimum: 0,
      maximum: 1_073_741_824,
      description: 'Larger bodies are not stored (default 5 MiB, at most API_CACHE_MAX_SIZE)',
    },
  },
  additionalProperties: false,
} as const;

const policyBody = {
  type: 'object',
  properties: {
    connectionId: uuid,
    endpointPattern,
    cacheStrategy,
    ttlSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 31_536_000,
      description: 'Freshness when the response states none (default API_CACHE_TTL)',
    },
    cacheConditions,
    invalidationEvents: {
      type: ['array', 'null'],
      items: eventPattern,
      maxItems: 50,
      uniqueItems: true,
      description: "Platform event types (or `prefix.*`) that purge the connection's cached responses",
    },
    isActive: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const policyView = {
  type: 'object',
  properties: {
    id: uuid,
    connectionId: uuid,
    endpointPattern: { type: ['string', 'null'] },
    cacheStrategy: { type: 'string' },
    ttlSeconds: { type: 'integer' },
    cacheConditions: {
      type: ['object', 'null'],
      properties: {
        statusCodes: { type: 'array', items: { type: 'integer' } },
        methods: { type: 'array', items: { type: 'string' } },
        maxBodyBytes: { type: 'integer' },
      },
    },
    invalidationEvents: { type: 'array', items: { type: 'string' } },
    isActive: { type: 'boolean' },
    createdAt: { type: 'string' },
  },
} as const;

const purgeFields = {
  connectionId: uuid,
  pattern: {
    type: 'string',
    minLength: 1,
    maxLength: 500,
    description: 'Endpoint path glob; absent: every entry',
  },
} as const;

interface PurgeFields {
  connectionId?: string;
  pattern?: string;
}

export async function cacheRoutes(
  app: FastifyInstance,
  { cachePolicies }: { cachePolicies: CachePolicyService },
): Promise<void> {
  const tags = ['cache'];

  app.get<{
    Querystring: {
      limit: number;
      cursor?: string;
      connectionId?: string;
      cacheStrategy?: string;
      isActive?: boolean;
    };
  }>(
    '/cache-policies',
    {
      schema: {
        tags,
        summary: 'List cache policies',
        querystring: {
          type: 'object',
          properties: { ...pageQuery, connectionId: uuid, cacheStrategy, isActive: { type: 'boolean' } },
          additionalProperties: false,
        },
        response: { 200: pageOf(policyView), ...errorResponses },
      },
    },
    (request) => cachePolicies.list(tenantOf(request), request.query),
  );

  app.post<{ Body: CachePolicyInput }>(
    '/cache-policies',
    {
      schema: {
        tags,
        summary: 'Create a cache policy',
        body: { ...policyBody, required: ['connectionId'] },
        response: { 201: policyView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await cachePolicies.create(request.context, tenantOf(request), request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/cache-policies/:id',
    {
      schema: {
        tags,
        summary: 'Get a cache policy',
        params: idParams,
        response: { 200: policyView, ...errorResponses },
      },
    },
    (request) => cachePolicies.get(tenantOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Partial<CachePolicyInput> }>(
    '/cache-policies/:id',
    {
      schema: {
        tags,
        summary: 'Update a cache policy',
        params: idParams,
        body: { ...policyBody, minProperties: 1 },
        response: { 200: policyView, ...errorResponses },
      },
    },
    (request) => cachePolicies.update(request.context, tenantOf(request), request.params.id, request.body),
  );

  deleteByIdRoute(
    app,
    '/cache-policies/:id',
    { tags, summary: 'Delete a cache policy' },
    (context, tenantId, id) => cachePolicies.remove(context, tenantId, id),
  );

  app.delete<{ Querystring: PurgeFields; Body: PurgeFields }>(
    '/cache',
    {
      // The body is optional: an absent one validates as empty.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: "Purge a connection's cached responses, all or those whose endpoint matches `pattern`",
        description: '`connectionId` and `pattern` in the query string or a JSON body.',
        querystring: { type: 'object', properties: purgeFields, additionalProperties: false },
        body: { type: 'object', properties: purgeFields, additionalProperties: false },
        response: {
          200: { type: 'object', properties: { purged: { type: 'integer' } }, required: ['purged'] },
          ...errorResponses,
          503: { $ref: 'Problem#' },
        },
      },
    },
    async (request) => {
      const connectionId = request.body.connectionId ?? request.query.connectionId;
      const pattern = request.body.pattern ?? request.query.pattern;
      if (!connectionId) {
        throw new KryonixError('KRX_VALIDATION_FAILED', 'connectionId is required', {
          extensions: {
            errors: [{ path: '/query/connectionId', message: 'is required in the query or the body' }],
          },
        });
      }
      const purged = await cachePolicies.purge(request.context, tenantOf(request), { connectionId, pattern });
      return { purged };
    },
  );
}
