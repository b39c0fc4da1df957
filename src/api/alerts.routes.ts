import type { FastifyInstance } from 'fastify';
import {
  ALERT_TYPES,
  type AlertRules,
  type EventQuery,
  OPERATORS,
  type RuleInput,
  SEVERITIES,
} from '../monitoring/alerts/rules.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { deleteByIdRoute } from './delete-route.js';
import { errorResponses, freeObject, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;

const scope = {
  type: 'object',
  properties: {
    kind: { enum: ['all', 'connection', 'subscription'] },
    connectionId: uuid,
    subscriptionId: uuid,
  },
  required: ['kind'],
  additionalProperties: false,
} as const;

const condition = {
  type: 'object',
  properties: {
    threshold: { type: 'number' },
    operator: { enum: [...OPERATORS], default: 'gt' },
    windowSeconds: { type: 'integer', minimum: 0, maximum: 30 * 86_400 },
    forSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: 86_400,
      description: 'Breaching this long before firing',
    },
    statistic: { enum: ['avg', 'p95'], description: 'response_time only' },
    minRequests: {
      type: 'integer',
      minimum: 1,
      description: 'Calls needed in the window (error_rate, response_time)',
    },
  },
  additionalProperties: false,
} as const;

const channel = {
  oneOf: [
    {
      type: 'object',
      properties: {
        type: { const: 'email' },
        connectionId: { ...uuid, description: 'An email (SMTP) connection of the tenant' },
        to: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: { type: 'string', minLength: 3, maxLength: 320 },
        },
      },
      required: ['type', 'connectionId', 'to'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        type: { enum: ['slack', 'teams', 'webhook'] },
        url: { type: 'string', minLength: 8, maxLength: 2048 },
        headers: {
          type: 'object',
          maxProperties: 20,
          additionalProperties: { type: 'string', maxLength: 4096 },
        },
      },
      required: ['type', 'url'],
      additionalProperties: false,
    },
  ],
} as const;

const ruleProperties = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  type: { enum: [...ALERT_TYPES] },
  scope,
  condition,
  severity: { enum: [...SEVERITIES] },
  repeatIntervalSeconds: { type: ['integer', 'null'], minimum: 60, maximum: 7 * 86_400 },
  channels: { type: 'array', maxItems: 20, items: channel },
  isActive: { type: 'boolean' },
} as const;

const ruleView = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    type: { type: 'string' },
    scope: freeObject,
    condition: freeObject,
    severity: { type: 'string' },
    repeatIntervalSeconds: { type: ['integer', 'null'] },
    channels: { type: 'array', items: freeObject },
    isActive: { type: 'boolean' },
    state: { enum: ['ok', 'pending', 'firing'] },
    currentValue: { type: ['number', 'null'] },
    lastTriggered: nullableString,
    lastEvaluatedAt: nullableString,
    triggerCount: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const eventView = {
  type: 'object',
  properties: {
    id: uuid,
    alertId: uuid,
    alertName: nullableString,
    severity: { type: 'string' },
    message: { type: 'string' },
    details: { type: ['object', 'null'], additionalProperties: true },
    acknowledged: { type: 'boolean' },
    acknowledgedBy: nullableString,
    resolved: { type: 'boolean' },
    resolvedAt: nullableString,
    resolvedBy: nullableString,
    createdAt: { type: 'string' },
  },
} as const;

const tags = ['alerts'];

/** Alert rules CRUD and their events (list, acknowledge, resolve). */
export async function alertRoutes(
  app: FastifyInstance,
  { monitoring }: { monitoring: { alerts: AlertRules } },
) {
  const { alerts } = monitoring;

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/alerts',
    {
      schema: {
        tags,
        summary: 'Alert rules, newest first',
        querystring: { type: 'object', properties: { ...pageQuery }, additionalProperties: false },
        response: { 200: pageOf(ruleView), ...errorResponses },
      },
    },
    (request) => alerts.list(tenantOf(request), request.query),
  );

  app.post<{ Body: RuleInput }>(
    '/alerts',
    {
      schema: {
        tags,
        summary: 'Create an alert rule',
        body: {
          type: 'object',
          properties: ruleProperties,
          required: ['name', 'type', 'condition'],
          additionalProperties: false,
        },
        response: { 201: ruleView, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await alerts.create(request.context, tenantOf(request), request.body)),
  );

  app.get<{ Querystring: EventQuery }>(
    '/alerts/events',
    {
      schema: {
        tags,
        summary: 'Alert events (firings), newest first',
        querystring: {
          type: 'object',
          properties: { ...pageQuery, alertId: uuid, state: { enum: ['firing', 'resolved'] } },
          additionalProperties: false,
        },
        response: { 200: pageOf(eventView), ...errorResponses },
      },
    },
    (request) => alerts.listEvents(tenantOf(request), request.query),
  );

  app.post<{ Params: { id: string } }>(
    '/alerts/events/:id/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an alert event (stops repeat notifications)',
        params: idParams,
        response: { 200: eventView, ...errorResponses },
      },
    },
    (request) => alerts.acknowledge(request.context, tenantOf(request), request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/alerts/events/:id/resolve',
    {
      schema: {
        tags,
        summary:
          'Resolve an alert event by hand (a rule still breaching fires again after its `for` duration)',
        params: idParams,
        response: { 200: eventView, ...errorResponses },
      },
    },
    (request) => alerts.resolve(request.context, tenantOf(request), request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/alerts/:id',
    {
      schema: {
        tags,
        summary: 'One alert rule',
        params: idParams,
        response: { 200: ruleView, ...errorResponses },
      },
    },
    (request) => alerts.get(tenantOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Partial<RuleInput> }>(
    '/alerts/:id',
    {
      schema: {
        tags,
        summary: 'Change an alert rule (channels shown masked may be sent back unchanged)',
        params: idParams,
        body: { type: 'object', properties: ruleProperties, additionalProperties: false, minProperties: 1 },
        response: { 200: ruleView, ...errorResponses },
      },
    },
    (request) => alerts.update(request.context, tenantOf(request), request.params.id, request.body),
  );

  deleteByIdRoute(
    app,
    '/alerts/:id',
    { tags, summary: 'Delete an alert rule and its events' },
    (context, tenantId, id) => alerts.remove(context, tenantId, id),
  );
}
