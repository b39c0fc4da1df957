import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ActionRunner } from '../connectors/runner.js';
import { StreamedBody } from '../connectors/sdk.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { errorResponses, freeObject, idParams, uuid } from './schemas.js';

const actionParams = {
  type: 'object',
  properties: {
    id: uuid,
    action: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'Action name',
    },
  },
  required: ['id', 'action'],
  additionalProperties: false,
} as const;

const actionResult = {
  type: 'object',
  properties: {
    status: { const: 'success' },
    data: { description: "The action's output (see the connector's action schemas)" },
    executionId: uuid,
    executionTime: { type: 'integer', description: 'Milliseconds' },
  },
  required: ['status', 'executionId', 'executionTime'],
} as const;

const upstreamErrors = {
  409: { $ref: 'Problem#' },
  422: { $ref: 'Problem#' },
  424: { $ref: 'Problem#' },
  429: { $ref: 'Problem#' },
  502: { $ref: 'Problem#' },
  503: { $ref: 'Problem#' },
  504: { $ref: 'Problem#' },
} as const;

/**
 * `POST /api/v1/connections/:id/actions/:action`: mounted under the `/api/v1` prefix. A JSON body is
 * the input. Any other content type is raw bytes streamed to an action that takes them (e.g. the file
 * connector's write), with the input in the query string. An action answering a stream (e.g. read
 * with encoding "raw") gets it sent as the response body, the execution id in a header.
 */
export async function actionRoutes(
  app: FastifyInstance,
  { actions }: { actions: ActionRunner },
): Promise<void> {
  // Not parsed, not buffered, no body limit: the action reads the stream (this scope only).
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.post<{
    Params: { id: string; action: string };
    Querystring: Record<string, unknown>;
    Body: Record<string, unknown> | Readable | undefined;
  }>(
    '/connections/:id/actions/:action',
    {
      schema: {
        tags: ['actions'],
        summary: "Run a connector action on a connection; the body is the action's input",
        description:
          'A JSON body is the action\'s input. Actions that take raw bytes (the file connector\'s write) accept any other content type as a streamed body, their input then in the query string. Actions answering raw bytes (read with encoding "raw") answer them as the body, with Content-Type, Content-Length and the execution id in X-Kryonix-Execution-Id.',
        params: actionParams,
        querystring: { ...freeObject, description: 'The input, when the body carries raw bytes' },
        body: { ...freeObject, description: "The action's input, validated against its input schema" },
        response: { 200: actionResult, ...errorResponses, ...upstreamErrors },
      },
    },
    async (request, reply) => {
      const raw = request.body instanceof Readable;
      const result = await actions.run(
        request.context,
        tenantOf(request),
        request.params.id,
        request.params.action,
        raw ? request.query : (request.body ?? {}),
        request.body instanceof Readable
          ? {
              stream: request.body,
              contentType: request.headers['content-type'] ?? 'application/octet-stream',
            }
          : undefined,
      );
      if (!(result.data instanceof StreamedBody)) return result;
      const { stream, contentType, size, fileName } = result.data;
      reply.header('content-type', contentType).header('x-kryonix-execution-id', result.executionId);
      if (size !== undefined) reply.header('content-length', size);
      if (fileName)
        reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`);
      return reply.send(stream);
    },
  );
}

const testResult = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    message: { type: 'string' },
    details: freeObject,
    healthStatus: { enum: ['healthy', 'unhealthy', 'degraded', 'unknown'] },
    testedAt: { type: 'string' },
    durationMs: { type: 'integer' },
  },
  required: ['ok', 'message', 'healthStatus', 'testedAt'],
} as const;

/** `POST /api/integrations/connections/:id/test`: mounted under the admin prefix. */
export async function connectionTestRoutes(
  app: FastifyInstance,
  { actions }: { actions: ActionRunner },
): Promise<void> {
  app.post<{ Params: { id: string } }>(
    '/connections/:id/test',
    {
      schema: {
        tags: ['connections'],
        summary: "Run the connector's test now; stores last_tested, test_result and health_status",
        params: idParams,
        response: { 200: testResult, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    (request) => actions.test(request.context, tenantOf(request), request.params.id),
  );
}
