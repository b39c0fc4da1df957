/** The gateway's public routes under `/api/v1`: execute, batch and the transparent proxy. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallerIdentity, ExecuteCallInput, GatewayService } from '../gateway/execute.js';
import type { GatewayProxy } from '../gateway/proxy.js';
import type { RequestContext } from '../platform/audit.js';
import { tenantOfPrincipal } from '../platform/http/authenticate.js';
import { ResponseLink } from './response-link.js';
import { errorResponses, freeObject, idParams } from './schemas.js';

const mapping = {
  description: 'A JSONata expression, or { expression } / { fields: [{ from, to, default?, transform? }] }',
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 20_000 },
    {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1, maxLength: 20_000 } },
      required: ['expression'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { fields: { type: 'array', maxItems: 500, items: freeObject } },
      required: ['fields'],
      additionalProperties: false,
    },
  ],
} as const;

const queryValue = { type: ['string', 'number', 'boolean'] } as const;

/** The seed's ExecuteAPICallDto. */
const executeBody = {
  type: 'object',
  properties: {
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
    endpoint: { type: 'string', maxLength: 4000, description: "Path under the connection's base URL" },
    data: { description: 'Request body: JSON, or a string sent as-is' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 8000 },
      maxProperties: 100,
    },
    queryParams: {
      type: 'object',
      additionalProperties: { anyOf: [queryValue, { type: 'array', items: queryValue, maxItems: 100 }] },
      maxProperties: 100,
    },
    inputMapping: mapping,
    responseMapping: mapping,
    timeout: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600_000,
      description: 'Whole-call timeout in ms, retries included',
    },
    skipCache: { type: 'boolean' },
    triggeredBy: { type: 'string', maxLength: 100 },
    idempotencyKey: {
      type: 'string',
      maxLength: 255,
      description: 'Makes a non-idempotent method safe to retry',
    },
  },
  required: ['method', 'endpoint'],
  additionalProperties: false,
} as const;

/** The seed's APICallResult. */
const callResult = {
  type: 'object',
  properties: {
    status: { enum: ['success', 'error'] },
    data: {},
    dataEncoding: { enum: ['base64'] },
    cached: { type: 'boolean' },
    cacheStatus: { type: 'string' },
    statusCode: { type: 'integer' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    executionTime: { type: 'integer', description: 'ms' },
    executionId: { type: 'string' },
    retries: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
  },
} as const;

export const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Who a gateway call is for: the tenant of the caller's credential (owner keys have none: 403). */
export function callerFrom(context: RequestContext): CallerIdentity {
  const { principal } = context;
  return {
    context,
    tenantId: tenantOfPrincipal(principal),
    apiKeyId: principal.kind === 'api_key' ? principal.subject : null,
  };
}

const callerOf = (request: FastifyRequest) => callerFrom(request.context);

/** Aborted when the client goes away before its answer is sent, so upstream work stops too. */
function abortOnClose(reply: FastifyReply): AbortSignal {
  return new ResponseLink(reply.raw).toSignal();
}

export async function gatewayRoutes(
  app: FastifyInstance,
  { gateway, proxy }: { gateway: GatewayService; proxy: GatewayProxy },
): Promise<void> {
  const tags = ['gateway'];

  app.post<{ Params: { id: string }; Body: ExecuteCallInput }>(
    '/connections/:id/execute',
    {
      schema: {
        tags,
        summary: 'Call the connection (upstream 4xx/5xx are results with status "error")',
        params: idParams,
        body: executeBody,
        response: {
          200: callResult,
          ...errorResponses,
          429: { $ref: 'Problem#' },
          502: { $ref: 'Problem#' },
          503: { $ref: 'Problem#' },
          504: { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const input =
        typeof idempotencyKey === 'string' && !request.body.idempotencyKey
          ? { ...request.body, idempotencyKey }
          : request.body;
      const { result, rateLimitHeaders } = await gateway.execute(
        callerOf(request),
        request.params.id,
        input,
        abortOnClose(reply),
      );
      return reply.headers({ ...rateLimitHeaders, 'x-cache': result.cacheStatus ?? 'BYPASS' }).send(result);
    },
  );

  app.post<{ Params: { id: string }; Body: { requests: ExecuteCallInput[] } }>(
    '/connections/:id/batch',
    {
      schema: {
        tags,
        summary: "Many calls, answered in order, with the connection's batchConcurrency and batchDelay",
        params: idParams,
        body: {
          type: 'object',
          properties: { requests: { type: 'array', minItems: 1, maxItems: 100, items: executeBody } },
          required: ['requests'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { results: { type: 'array', items: callResult } } },
          ...errorResponses,
          429: { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const { results, rateLimitHeaders } = await gateway.batch(
        callerOf(request),
        request.params.id,
        request.body.requests,
        abortOnClose(reply),
      );
      return reply.headers(rateLimitHeaders).send({ results });
    },
  );

  // The proxy streams bodies: no parsing, whatever the content type.
  await app.register(async (proxyScope) => {
    proxyScope.removeAllContentTypeParsers();
    proxyScope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    proxyScope.route<{ Params: { connectionId: string; '*': string } }>({
      method: [...PROXY_METHODS],
      url: '/proxy/:connectionId/*',
      // The query string and body go upstream as they came.
      config: { rawInput: true },
      schema: {
        tags,
        summary: "Transparent reverse proxy to the connection's base URL",
        params: {
          type: 'object',
          properties: { connectionId: { type: 'string', format: 'uuid' }, '*': { type: 'string' } },
          required: ['connectionId'],
        },
      },
      handler: async (request, reply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const answer = await proxy(callerOf(request), request.params.connectionId, {
          method: request.method,
          path: `/${request.params['*'] ?? ''}${query}`,
          headers: request.headers,
          body: request.body ? request.raw : null,
          client: new ResponseLink(reply.raw),
          requestId: request.id,
        });
        return reply
          .code(answer.status)
          .headers({ ...answer.headers, ...answer.rateLimitHeaders })
          .send(answer.body);
      },
    });
  });
}
