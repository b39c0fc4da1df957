import type { FastifyInstance } from 'fastify';
import type { ActionRunner } from '../connectors/runner.js';
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

/** `POST /api/v1/connections/:id/actions/:action`: mounted under the `/api/v1` prefix. */
export async function actionRoutes(
  app: FastifyInstance,
  { actions }: { actions: ActionRunner },
): Promise<void> {
  app.post<{ Params: { id: string; action: string }; Body: Record<string, unknown> | undefined }>(
    '/connections/:id/actions/:action',
    {
      schema: {
        tags: ['actions'],
        summary: "Run a connector action on a connection; the body is the action's input",
        params: actionParams,
        body: { ...freeObject, description: "The action's input, validated against its input schema" },
        response: { 200: actionResult, ...errorResponses, ...upstreamErrors },
      },
    },
    (request) =>
      actions.run(
        request.context,
        tenantOf(request),
        request.params.id,
        request.params.action,
        request.body ?? {},
      ),
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
