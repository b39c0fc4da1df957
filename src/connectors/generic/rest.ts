import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { PAGINATION_SCHEMA } from './pagination.js';
import { deleteAction } from './rest/delete.js';
import { getAction } from './rest/get.js';
import { listAction } from './rest/list.js';
import { sendAction } from './rest/send.js';

export const restConnector = defineConnector({
  id: 'rest',
  version: '1.0.0',
  displayName: 'REST API',
  description: 'Any HTTP/JSON API: base URL, default headers and any of the standard auth methods.',
  type: 'rest',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/rest',
  supportedMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  config: {
    type: 'object',
    properties: {
      baseUrl: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        description: 'Base URL every call is relative to',
      },
      defaultHeaders: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Headers sent with every call',
      },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-call timeout in ms' },
      retry: {
        type: 'object',
        description: 'Retry policy for idempotent calls',
        properties: {
          attempts: {
            type: 'integer',
            minimum: 0,
            maximum: 20,
            description: 'Retries after the first attempt',
          },
          delayMs: { type: 'integer', minimum: 0, description: 'Base backoff in ms' },
        },
        additionalProperties: false,
      },
      circuitBreaker: {
        type: 'object',
        description: 'Gateway circuit breaker: opens on an error rate over a rolling window',
        properties: {
          errorThresholdPercentage: {
            type: 'integer',
            minimum: 1,
            maximum: 100,
            description: 'Failure percentage that opens the circuit',
          },
          volumeThreshold: {
            type: 'integer',
            minimum: 1,
            description: 'Calls in the window before the percentage counts',
          },
          windowMs: { type: 'integer', minimum: 100, description: 'Rolling window in ms' },
          resetTimeoutMs: {
            type: 'integer',
            minimum: 10,
            description: 'How long the circuit stays open before a probe',
          },
        },
        additionalProperties: false,
      },
      batchConcurrency: {
        type: 'integer',
        minimum: 1,
        maximum: 100,
        default: 5,
        description: 'Parallel calls of a batch',
      },
      batchDelay: { type: 'integer', minimum: 0, default: 0, description: 'Delay in ms between batch calls' },
      testEndpoint: {
        type: 'string',
        description: 'Path called by the connection test and health checks (default: the base URL)',
      },
      pagination: { ...PAGINATION_SCHEMA, description: 'Default pagination of the list action' },
    },
    required: ['baseUrl'],
    additionalProperties: false,
  },
  auth: authSchemaOf(
    AUTH_METHODS.none,
    AUTH_METHODS.apiKey,
    AUTH_METHODS.basic,
    AUTH_METHODS.bearer,
    AUTH_METHODS.oauth2ClientCredentials,
    AUTH_METHODS.oauth2RefreshToken,
    AUTH_METHODS.oauth2Password,
    AUTH_METHODS.jwtBearer,
  ),
  actions: [getAction, listAction, sendAction, deleteAction],
  async test(context) {
    const path =
      typeof context.connection.config.testEndpoint === 'string'
        ? context.connection.config.testEndpoint
        : '';
    const response = await context.http({
      method: 'GET',
      url: path === '' ? String(context.connection.config.baseUrl) : path,
    });
    return {
      ok: true,
      message: `GET ${path || '/'} answered ${response.status}`,
      details: { status: response.status },
    };
  },
});
