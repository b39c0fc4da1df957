import type { FastifyInstance } from 'fastify';
import { type Analytics, GROUP_BYS, type MetricsQuery, RANGES } from '../monitoring/analytics.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { errorResponses, uuid } from './schemas.js';

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const statsProperties = {
  totalRequests: { type: 'integer' },
  successfulRequests: { type: 'integer' },
  failedRequests: { type: 'integer' },
  successRate: { ...nullableNumber, description: 'Percent' },
  avgResponseTime: { ...nullableNumber, description: 'ms' },
  minResponseTime: nullableNumber,
  maxResponseTime: nullableNumber,
  p95ResponseTime: { ...nullableNumber, description: 'ms; over several hours, the highest hourly p95' },
  bytesTransferred: { type: 'integer' },
  cacheHits: { type: 'integer' },
  cacheMisses: { type: 'integer' },
  rateLimitHits: { type: 'integer' },
} as const;

const report = {
  type: 'object',
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    groupBy: { enum: [...GROUP_BYS] },
    totals: { type: 'object', properties: statsProperties },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: { key: nullableString, label: { type: 'string' }, ...statsProperties },
      },
    },
  },
} as const;

const items = (properties: Record<string, unknown>) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items: { type: 'object', properties } } },
  }) as const;

/** The metrics API: aggregates plus the live current hour, and the seed's two views. */
export async function monitoringRoutes(
  app: FastifyInstance,
  { monitoring }: { monitoring: { analytics: Analytics } },
): Promise<void> {
  const { analytics } = monitoring;
  app.get<{ Querystring: MetricsQuery }>(
    '/metrics',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Call statistics over a time range, grouped by connection, connector, endpoint, hour or day',
        querystring: {
          type: 'object',
          properties: {
            range: { enum: [...RANGES], default: '24h' },
            from: { type: 'string', format: 'date-time', description: 'With range=custom' },
            to: { type: 'string', format: 'date-time', description: 'With range=custom' },
            groupBy: { enum: [...GROUP_BYS], default: 'hour' },
            connectionId: uuid,
          },
          additionalProperties: false,
        },
        response: { 200: report, ...errorResponses },
      },
    },
    (request) => analytics.report(tenantOf(request), request.query),
  );

  app.get(
    '/metrics/connections',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Per-connection statistics of the last 24 hours (connection_statistics)',
        response: {
          200: items({
            id: uuid,
            name: { type: 'string' },
            status: { type: 'string' },
            healthStatus: { type: 'string' },
            connectorName: { type: 'string' },
            totalExecutions: { type: 'integer' },
            successfulExecutions: { type: 'integer' },
            failedExecutions: { type: 'integer' },
            successRate: nullableNumber,
            avgResponseTime: nullableNumber,
            lastExecution: nullableString,
          }),
          ...errorResponses,
        },
      },
    },
    (request) => analytics.connectionStatistics(tenantOf(request)),
  );

  app.get(
    '/metrics/top-apis',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'The 10 most used connections of the last 7 days (top_apis_by_usage)',
        response: {
          200: items({
            connectionId: uuid,
            connectionName: { type: 'string' },
            connectorName: { type: 'string' },
            totalCalls: { type: 'integer' },
            avgResponseTime: nullableNumber,
            errorCount: { type: 'integer' },
          }),
          ...errorResponses,
        },
      },
    },
    (request) => analytics.topApis(tenantOf(request)),
  );

  app.get(
    '/metrics/overview',
    {
      schema: {
        tags: ['monitoring'],
        summary: "The dashboard's overview cards (last 24 hours)",
        response: {
          200: {
            type: 'object',
            properties: {
              totalConnections: { type: 'integer' },
              activeConnections: { type: 'integer' },
              calls24h: { type: 'integer' },
              successRate24h: nullableNumber,
              avgResponseTime24h: nullableNumber,
              errors24h: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    (request) => analytics.overview(tenantOf(request)),
  );
}
