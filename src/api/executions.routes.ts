import type { FastifyInstance } from 'fastify';
import {
  EXECUTION_STATUSES,
  EXECUTION_TYPES,
  type ExecutionLogReader,
  type ExecutionQuery,
} from '../monitoring/executions.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { errorResponses, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const anyValue = {} as const;

const summaryView = {
  type: 'object',
  properties: {
    id: uuid,
    connectionId: uuid,
    connectionName: nullableString,
    executionType: { type: 'string' },
    method: nullableString,
    url: nullableString,
    status: { type: 'string' },
    responseStatus: nullableInteger,
    executionTime: nullableInteger,
    retryCount: { type: 'integer' },
    cached: { type: 'boolean' },
    bytesTransferred: { type: 'integer' },
    errorMessage: nullableString,
    errorCode: nullableString,
    triggeredBy: nullableString,
    startedAt: { type: 'string' },
    completedAt: nullableString,
  },
} as const;

const detailView = {
  type: 'object',
  properties: {
    ...summaryView.properties,
    endpointId: nullableString,
    parentExecutionId: nullableString,
    maxRetries: { type: 'integer' },
    errorDetails: anyValue,
    requestHeaders: anyValue,
    requestBody: anyValue,
    responseHeaders: anyValue,
    responseBody: anyValue,
  },
} as const;

/** The execution log: `GET /executions` (search) and `GET /executions/:id` (the full, redacted record). */
export async function executionRoutes(
  app: FastifyInstance,
  { monitoring }: { monitoring: { executions: ExecutionLogReader } },
): Promise<void> {
  app.get<{ Querystring: ExecutionQuery }>(
    '/executions',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Search execution records (calls, batches, proxied requests, actions), newest first',
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            connectionId: uuid,
            status: { enum: [...EXECUTION_STATUSES] },
            method: { type: 'string', pattern: '^[A-Za-z]{1,10}$' },
            executionType: { enum: [...EXECUTION_TYPES] },
            q: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'Text in the URL or error message',
            },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(summaryView), ...errorResponses },
      },
    },
    (request) => monitoring.executions.list(tenantOf(request), request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/executions/:id',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'One execution record with its request and response (credentials masked)',
        params: idParams,
        response: { 200: detailView, ...errorResponses },
      },
    },
    (request) => monitoring.executions.get(tenantOf(request), request.params.id),
  );
}
