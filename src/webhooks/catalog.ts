/** The event types subscriptions can match, each with the JSON Schema of its `data`. */
const ids = { type: 'string', format: 'uuid' } as const;

export interface EventTypeSpec {
  readonly type: string;
  readonly description: string;
  readonly schema: object;
}

export const EVENT_CATALOG: readonly EventTypeSpec[] = [
  {
    type: 'api.call.success',
    description: 'A gateway call through a connection succeeded.',
    schema: {
      type: 'object',
      properties: { connectionId: ids, executionId: ids },
      required: ['connectionId', 'executionId'],
      additionalProperties: true,
    },
  },
  {
    type: 'api.call.error',
    description: 'A gateway call through a connection failed.',
    schema: {
      type: 'object',
      properties: { connectionId: ids, executionId: ids },
      required: ['connectionId', 'executionId'],
      additionalProperties: true,
    },
  },
  {
    type: 'connection.health_changed',
    description: "A connection's health check result changed.",
    schema: {
      type: 'object',
      properties: { connectionId: ids, previous: { type: 'string' }, current: { type: 'string' } },
      required: ['connectionId'],
      additionalProperties: true,
    },
  },
  {
    type: 'webhook.received',
    description: 'An inbound endpoint accepted (authenticated, validated, transformed and stored) a webhook.',
    schema: {
      type: 'object',
      properties: {
        endpointId: ids,
        endpointName: { type: 'string' },
        deliveryId: { type: ['string', 'null'], description: "The provider's delivery id" },
        receivedAt: { type: 'string', format: 'date-time' },
        method: { type: 'string' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        query: { type: 'object' },
        payload: { description: 'The body after the endpoint pipeline' },
      },
      required: ['endpointId', 'endpointName', 'receivedAt', 'payload'],
    },
  },
  {
    type: 'webhook.delivery_failed',
    description: 'An outbound delivery used up its attempts (dead letter).',
    schema: {
      type: 'object',
      properties: {
        subscriptionId: ids,
        deliveryId: ids,
        eventType: { type: 'string' },
        attempts: { type: 'integer' },
        lastStatus: { type: ['integer', 'null'] },
        error: { type: ['string', 'null'] },
      },
      required: ['subscriptionId', 'deliveryId'],
    },
  },
  {
    type: 'webhook.subscription_disabled',
    description: 'A subscription was disabled: it failed continuously, or its receiver answered 410 Gone.',
    schema: {
      type: 'object',
      properties: { subscriptionId: ids, reason: { type: 'string' } },
      required: ['subscriptionId', 'reason'],
    },
  },
  {
    type: 'alert.triggered',
    description: 'A monitoring alert rule fired.',
    schema: {
      type: 'object',
      properties: { alertId: ids },
      required: ['alertId'],
      additionalProperties: true,
    },
  },
  {
    type: 'test.event',
    description: 'Sent by POST /webhooks/subscriptions/:id/test.',
    schema: {
      type: 'object',
      properties: { message: { type: 'string' }, sentAt: { type: 'string', format: 'date-time' } },
      required: ['message'],
    },
  },
];

/** Platform events a subscription can never match: internal plumbing. */
export const INTERNAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'webhook.config_changed',
  'webhook.delivery_attempted',
  'api_key.revoked',
  'tenant.updated',
]);
