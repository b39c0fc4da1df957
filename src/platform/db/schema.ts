/**
 * The whole data model: the seed's tables (with its columns and indexes) plus tenants, api_keys and
 * audit_log. Changes here become migrations with `npm run db:generate`; row-level security, roles and
 * views live in the hand-written migration beside the generated ones.
 *
 * Departures from the seed, each on purpose:
 * - every tenant-owned table carries tenant_id (connection_endpoints, data_transformations,
 *   webhook_deliveries, cache_policies, rate_limit_logs, alert_events lacked it) so RLS can police it;
 * - connectors.tenant_id is null for the built-in catalog and set for a tenant's custom connectors;
 * - created_by is text: principals are API key ids or JWT subjects, and a JWT `sub` need not be a UUID;
 * - integration_metrics has the unique key that calculate_hourly_metrics' ON CONFLICT needs, NULLS NOT
 *   DISTINCT so the per-tenant rows (no connection) are upserted too (PostgreSQL 15+);
 * - api_cache lives in memory or Redis, not here (a database round trip per cached read defeats it).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const tenantId = () =>
  uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const tenants = pgTable('tenants', {
  id: id(),
  name: varchar('name', { length: 255 }).notNull(),
  slug: varchar('slug', { length: 100 }).notNull().unique(),
  status: varchar('status', { length: 20 }).notNull().default('active'),
  settings: jsonb('settings').notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    /** null for a platform-owner key, which manages tenants and belongs to none. */
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    /** First characters of the key, shown in lists so a user can tell keys apart. */
    prefix: varchar('prefix', { length: 32 }).notNull(),
    keyHash: varchar('key_hash', { length: 128 }).notNull().unique(),
    role: varchar('role', { length: 20 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('idx_api_keys_tenant').on(t.tenantId)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    actor: text('actor').notNull(),
    action: varchar('action', { length: 100 }).notNull(),
    resourceType: varchar('resource_type', { length: 100 }).notNull(),
    resourceId: text('resource_id'),
    sourceIp: varchar('source_ip', { length: 64 }),
    requestId: varchar('request_id', { length: 128 }),
    details: jsonb('details'),
    createdAt: createdAt(),
  },
  (t) => [index('idx_audit_log_tenant_created').on(t.tenantId, t.createdAt.desc())],
);

export const connectors = pgTable(
  'connectors',
  {
    id: id(),
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    displayName: varchar('display_name', { length: 255 }).notNull(),
    description: text('description'),
    connectorType: varchar('connector_type', { length: 50 }).notNull(),
    category: varchar('category', { length: 100 }).notNull(),
    provider: varchar('provider', { length: 255 }),
    version: varchar('version', { length: 50 }).notNull().default('1.0.0'),
    iconUrl: text('icon_url'),
    documentationUrl: text('documentation_url'),
    configSchema: jsonb('config_schema').notNull(),
    authSchema: jsonb('auth_schema'),
    supportedMethods: jsonb('supported_methods'),
    rateLimits: jsonb('rate_limits'),
    endpoints: jsonb('endpoints').notNull().default([]),
    transformers: jsonb('transformers'),
    isActive: boolean('is_active').notNull().default(true),
    isBuiltIn: boolean('is_built_in').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The seed's UNIQUE(name), split so a tenant's custom connector may share a built-in's name.
    uniqueIndex('uq_connectors_builtin_name').on(t.name).where(sql`${t.tenantId} IS NULL`),
    uniqueIndex('uq_connectors_tenant_name').on(t.tenantId, t.name).where(sql`${t.tenantId} IS NOT NULL`),
    index('idx_connectors_type_category').on(t.connectorType, t.category),
    index('idx_connectors_provider').on(t.provider).where(sql`${t.provider} IS NOT NULL`),
  ],
);

export const connections = pgTable(
  'connections',
  {
    id: id(),
    tenantId: tenantId(),
    connectorId: uuid('connector_id')
      .notNull()
      .references(() => connectors.id),
    connectorVersion: varchar('connector_version', { length: 50 }).notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: text('description'),
    environment: varchar('environment', { length: 50 }).notNull().default('production'),
    config: jsonb('config').notNull(),
    authConfig: jsonb('auth_config'),
    /** An EncryptedEnvelope (platform/crypto): never plaintext. */
    credentials: jsonb('credentials'),
    connectionString: text('connection_string'),
    status: varchar('status', { length: 20 }).notNull().default('active'),
    lastTested: timestamp('last_tested', { withTimezone: true }),
    testResult: jsonb('test_result'),
    healthCheckConfig: jsonb('health_check_config'),
    healthCheckInterval: integer('health_check_interval').notNull().default(300),
    lastHealthCheck: timestamp('last_health_check', { withTimezone: true }),
    healthStatus: varchar('health_status', { length: 20 }).notNull().default('unknown'),
    /** Stored pipelines `{ request?, response? }` the gateway runs around every call (src/transform). */
    transformations: jsonb('transformations'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('uq_connections_tenant_name').on(t.tenantId, t.name),
    index('idx_connections_tenant_status').on(t.tenantId, t.status),
    index('idx_connections_connector_status').on(t.connectorId, t.status),
    index('idx_connections_health').on(t.healthStatus, t.lastHealthCheck),
  ],
);

/**
 * Every test and health-check outcome of a connection, newest first by index: the connection row holds
 * only the latest. Kept API_METRICS_RETENTION_DAYS like executions.
 */
export const connectionHealthChecks = pgTable(
  'connection_health_checks',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** test (on demand), health (scheduled) or auth (a token refresh that failed or recovered). */
    kind: varchar('kind', { length: 20 }).notNull(),
    status: varchar('status', { length: 20 }).notNull(),
    message: text('message').notNull(),
    details: jsonb('details'),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('idx_connection_health_checks_connection').on(t.connectionId, t.checkedAt),
    index('idx_connection_health_checks_checked_at').on(t.checkedAt),
  ],
);

export const connectionEndpoints = pgTable(
  'connection_endpoints',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    endpointName: varchar('endpoint_name', { length: 255 }).notNull(),
    endpointUrl: text('endpoint_url').notNull(),
    httpMethod: varchar('http_method', { length: 10 }).notNull().default('GET'),
    headers: jsonb('headers'),
    queryParams: jsonb('query_params'),
    bodyTemplate: jsonb('body_template'),
    responseMapping: jsonb('response_mapping'),
    timeoutSeconds: integer('timeout_seconds').notNull().default(30),
    retryConfig: jsonb('retry_config'),
    rateLimitConfig: jsonb('rate_limit_config'),
    /** Like the connection's, for calls to this endpoint's method and path; they take its place. */
    transformations: jsonb('transformations'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('uq_connection_endpoints_name').on(t.connectionId, t.endpointName)],
);

export const apiExecutions = pgTable(
  'api_executions',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    endpointId: uuid('endpoint_id').references(() => connectionEndpoints.id, { onDelete: 'set null' }),
    executionType: varchar('execution_type', { length: 50 }).notNull(),
    method: varchar('method', { length: 10 }),
    url: text('url'),
    requestHeaders: jsonb('request_headers'),
    requestBody: jsonb('request_body'),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers'),
    responseBody: jsonb('response_body'),
    errorMessage: text('error_message'),
    errorDetails: jsonb('error_details'),
    executionTime: integer('execution_time'),
    retryCount: integer('retry_count').notNull().default(0),
    maxRetries: integer('max_retries').notNull().default(3),
    cached: boolean('cached').notNull().default(false),
    bytesTransferred: bigint('bytes_transferred', { mode: 'number' }).notNull().default(0),
    status: varchar('status', { length: 20 }).notNull().default('pending'),
    triggeredBy: varchar('triggered_by', { length: 100 }),
    triggerId: uuid('trigger_id'),
    parentExecutionId: uuid('parent_execution_id'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_api_executions_connection_status').on(t.connectionId, t.status),
    index('idx_api_executions_tenant_started').on(t.tenantId, t.startedAt.desc()),
    index('idx_api_executions_started').on(t.startedAt),
    index('idx_api_executions_status_retry')
      .on(t.status, t.retryCount)
      .where(sql`${t.status} IN ('failed', 'timeout')`),
  ],
);

export const dataTransformations = pgTable(
  'data_transformations',
  {
    id: id(),
    tenantId: tenantId(),
    executionId: uuid('execution_id').references(() => apiExecutions.id, { onDelete: 'cascade' }),
    transformationType: varchar('transformation_type', { length: 50 }).notNull(),
    transformerName: varchar('transformer_name', { length: 255 }),
    inputData: jsonb('input_data'),
    outputData: jsonb('output_data'),
    transformationConfig: jsonb('transformation_config'),
    errorMessage: text('error_message'),
    processingTime: integer('processing_time'),
    status: varchar('status', { length: 20 }).notNull().default('success'),
    createdAt: createdAt(),
  },
  (t) => [index('idx_data_transformations_execution').on(t.executionId)],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    tenantId: tenantId(),
    name: varchar('name', { length: 255 }).notNull(),
    description: text('description'),
    /** The unguessable slug of `/webhooks/:slug`. */
    webhookUrl: varchar('webhook_url', { length: 500 }).notNull().unique(),
    /** An EncryptedEnvelope holding the current and (during rotation) previous secrets. */
    secretKey: jsonb('secret_key'),
    allowedMethods: text('allowed_methods').array().notNull().default(sql`'{POST}'`),
    allowedSources: jsonb('allowed_sources'),
    authenticationType: varchar('authentication_type', { length: 50 }).notNull().default('none'),
    authConfig: jsonb('auth_config'),
    payloadValidationSchema: jsonb('payload_validation_schema'),
    transformationConfig: jsonb('transformation_config'),
    responseConfig: jsonb('response_config'),
    /** Inbound behaviour beyond the seed's columns: dedup window, handshakes (webhooks module). */
    options: jsonb('options'),
    isActive: boolean('is_active').notNull().default(true),
    rateLimit: integer('rate_limit').notNull().default(1000),
    lastTriggered: timestamp('last_triggered', { withTimezone: true }),
    triggerCount: bigint('trigger_count', { mode: 'number' }).notNull().default(0),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('idx_webhook_endpoints_tenant_active').on(t.tenantId, t.isActive).where(sql`${t.isActive} = TRUE`),
  ],
);

export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: id(),
    tenantId: tenantId(),
    name: varchar('name', { length: 255 }).notNull(),
    description: text('description'),
    targetUrl: text('target_url').notNull(),
    events: text('events').array().notNull(),
    eventFilters: jsonb('event_filters'),
    headers: jsonb('headers'),
    /** An EncryptedEnvelope: signing secrets and target credentials. */
    authentication: jsonb('authentication'),
    payloadTemplate: jsonb('payload_template'),
    retryConfig: jsonb('retry_config'),
    timeoutSeconds: integer('timeout_seconds').notNull().default(30),
    isActive: boolean('is_active').notNull().default(true),
    lastSent: timestamp('last_sent', { withTimezone: true }),
    sendCount: bigint('send_count', { mode: 'number' }).notNull().default(0),
    successCount: bigint('success_count', { mode: 'number' }).notNull().default(0),
    failureCount: bigint('failure_count', { mode: 'number' }).notNull().default(0),
    /** Start of the current unbroken run of failed attempts; null after a success (auto-disable). */
    failingSince: timestamp('failing_since', { withTimezone: true }),
    disabledReason: text('disabled_reason'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('idx_webhook_subscriptions_tenant_active').on(t.tenantId, t.isActive)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    tenantId: tenantId(),
    subscriptionId: uuid('subscription_id').references(() => webhookSubscriptions.id, {
      onDelete: 'cascade',
    }),
    endpointId: uuid('endpoint_id').references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventType: varchar('event_type', { length: 255 }).notNull(),
    eventData: jsonb('event_data').notNull(),
    payload: jsonb('payload').notNull(),
    targetUrl: text('target_url').notNull(),
    requestHeaders: jsonb('request_headers'),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers'),
    responseBody: text('response_body'),
    deliveryTime: integer('delivery_time'),
    attemptNumber: integer('attempt_number').notNull().default(1),
    maxAttempts: integer('max_attempts').notNull().default(3),
    status: varchar('status', { length: 20 }).notNull().default('pending'),
    errorMessage: text('error_message'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    nextRetryAt: timestamp('next_retry_at', { withTimezone: true }),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** Standard Webhooks `webhook-id`: stable across the retries of one delivery. */
    messageId: varchar('message_id', { length: 64 }),
    /** Shared by every delivery fanned out from one event. */
    eventId: uuid('event_id'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_webhook_deliveries_status_scheduled')
      .on(t.status, t.scheduledAt)
      .where(sql`${t.status} = 'pending'`),
    // The queue: due rows, and leases to reap.
    index('idx_webhook_deliveries_due').on(t.nextRetryAt).where(sql`${t.status} = 'pending'`),
    index('idx_webhook_deliveries_lease').on(t.leaseExpiresAt).where(sql`${t.status} = 'delivering'`),
    index('idx_webhook_deliveries_endpoint_created').on(t.endpointId, t.createdAt.desc()),
    index('idx_webhook_deliveries_subscription_status').on(t.subscriptionId, t.status),
    index('idx_webhook_deliveries_tenant_created').on(t.tenantId, t.createdAt.desc()),
  ],
);

/** Every outbound delivery attempt: what was sent (secrets redacted) and what came back (truncated). */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: id(),
    tenantId: tenantId(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptNumber: integer('attempt_number').notNull(),
    requestHeaders: jsonb('request_headers'),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers'),
    responseBody: text('response_body'),
    durationMs: integer('duration_ms'),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
  },
  (t) => [index('idx_webhook_delivery_attempts_delivery').on(t.deliveryId, t.attemptNumber)],
);

/** Provider delivery ids seen by an inbound endpoint, kept for its dedup window. */
export const webhookInboundDedup = pgTable(
  'webhook_inbound_dedup',
  {
    tenantId: tenantId(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    deliveryKey: varchar('delivery_key', { length: 255 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.endpointId, t.deliveryKey] }),
    index('idx_webhook_inbound_dedup_expires').on(t.expiresAt),
  ],
);

/** Rejected inbound requests, aggregated per endpoint, minute and reason so a flood stays a few rows. */
export const webhookRejections = pgTable(
  'webhook_rejections',
  {
    tenantId: tenantId(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    status: integer('status').notNull(),
    reason: varchar('reason', { length: 255 }).notNull(),
    count: integer('count').notNull().default(0),
    /** The first request of the window: method, source address, a few headers; never a body or secret. */
    sample: jsonb('sample'),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.windowStart, t.reason] })],
);

export const rateLimits = pgTable(
  'rate_limits',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    resourceType: varchar('resource_type', { length: 50 }).notNull(),
    resourceId: varchar('resource_id', { length: 255 }),
    limitType: varchar('limit_type', { length: 50 }).notNull(),
    limitValue: bigint('limit_value', { mode: 'number' }).notNull(),
    windowSeconds: integer('window_seconds').notNull(),
    currentUsage: bigint('current_usage', { mode: 'number' }).notNull().default(0),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull().defaultNow(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('idx_rate_limits_tenant_resource').on(t.tenantId, t.resourceType, t.resourceId),
    index('idx_rate_limits_window').on(t.windowStart, t.windowSeconds).where(sql`${t.isActive} = TRUE`),
  ],
);

export const rateLimitLogs = pgTable(
  'rate_limit_logs',
  {
    id: id(),
    rateLimitId: uuid('rate_limit_id').references(() => rateLimits.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    resourceIdentifier: text('resource_identifier'),
    requestsCount: integer('requests_count').notNull().default(0),
    limitExceeded: boolean('limit_exceeded').notNull().default(false),
    resetTime: timestamp('reset_time', { withTimezone: true }),
    timestamp: timestamp('timestamp', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('idx_rate_limit_logs_tenant_time').on(t.tenantId, t.timestamp.desc()),
    // One aggregated row per (rule, subject, window) even when several nodes flush rejections of the
    // same window: the gateway upserts into it (rate_limit_id is null for the platform default limit).
    unique('uq_rate_limit_logs_window')
      .on(t.tenantId, t.rateLimitId, t.resourceIdentifier, t.resetTime)
      .nullsNotDistinct(),
  ],
);

export const cachePolicies = pgTable(
  'cache_policies',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    endpointPattern: varchar('endpoint_pattern', { length: 500 }),
    cacheStrategy: varchar('cache_strategy', { length: 50 }).notNull().default('time_based'),
    ttlSeconds: integer('ttl_seconds').notNull().default(300),
    cacheConditions: jsonb('cache_conditions'),
    invalidationEvents: text('invalidation_events').array(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [index('idx_cache_policies_connection').on(t.connectionId)],
);

export const integrationMetrics = pgTable(
  'integration_metrics',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    metricHour: timestamp('metric_hour', { withTimezone: true }).notNull(),
    totalRequests: bigint('total_requests', { mode: 'number' }).notNull().default(0),
    successfulRequests: bigint('successful_requests', { mode: 'number' }).notNull().default(0),
    failedRequests: bigint('failed_requests', { mode: 'number' }).notNull().default(0),
    avgResponseTime: numeric('avg_response_time', { precision: 10, scale: 2 }),
    minResponseTime: integer('min_response_time'),
    maxResponseTime: integer('max_response_time'),
    p95ResponseTime: integer('p95_response_time'),
    totalDataTransferred: bigint('total_data_transferred', { mode: 'number' }).notNull().default(0),
    cacheHits: bigint('cache_hits', { mode: 'number' }).notNull().default(0),
    cacheMisses: bigint('cache_misses', { mode: 'number' }).notNull().default(0),
    rateLimitHits: bigint('rate_limit_hits', { mode: 'number' }).notNull().default(0),
    errorRates: jsonb('error_rates'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The key calculate_hourly_metrics' ON CONFLICT needs (missing in the seed).
    unique('uq_integration_metrics_hour').on(t.tenantId, t.connectionId, t.metricHour).nullsNotDistinct(),
    index('idx_integration_metrics_tenant_hour').on(t.tenantId, t.metricHour.desc()),
    index('idx_integration_metrics_connection_hour').on(t.connectionId, t.metricHour.desc()),
  ],
);

export const integrationAlerts = pgTable(
  'integration_alerts',
  {
    id: id(),
    tenantId: tenantId(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    alertType: varchar('alert_type', { length: 50 }).notNull(),
    alertName: varchar('alert_name', { length: 255 }).notNull(),
    conditions: jsonb('conditions').notNull(),
    notificationConfig: jsonb('notification_config'),
    thresholdValue: numeric('threshold_value', { precision: 14, scale: 4 }),
    currentValue: numeric('current_value', { precision: 14, scale: 4 }),
    isActive: boolean('is_active').notNull().default(true),
    lastTriggered: timestamp('last_triggered', { withTimezone: true }),
    triggerCount: bigint('trigger_count', { mode: 'number' }).notNull().default(0),
    /** Evaluation state (monitoring): ok, pending (breaching, waiting for its `for` duration), firing. */
    state: varchar('state', { length: 20 }).notNull().default('ok'),
    pendingSince: timestamp('pending_since', { withTimezone: true }),
    /** The open alert_events row while firing. */
    firingEventId: uuid('firing_event_id'),
    lastEvaluatedAt: timestamp('last_evaluated_at', { withTimezone: true }),
    lastNotifiedAt: timestamp('last_notified_at', { withTimezone: true }),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('idx_integration_alerts_tenant').on(t.tenantId, t.isActive)],
);

export const alertEvents = pgTable(
  'alert_events',
  {
    id: id(),
    tenantId: tenantId(),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => integrationAlerts.id, { onDelete: 'cascade' }),
    severity: varchar('severity', { length: 20 }).notNull(),
    message: text('message').notNull(),
    details: jsonb('details'),
    acknowledged: boolean('acknowledged').notNull().default(false),
    acknowledgedBy: text('acknowledged_by'),
    resolved: boolean('resolved').notNull().default(false),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    createdAt: createdAt(),
  },
  (t) => [index('idx_alert_events_alert_created').on(t.alertId, t.createdAt.desc())],
);

/** Tables policed by row-level security; the custom migration enables a policy on each. */
export const TENANT_TABLES = [
  'api_keys',
  'audit_log',
  'connections',
  'connection_endpoints',
  'api_executions',
  'data_transformations',
  'webhook_endpoints',
  'webhook_subscriptions',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'webhook_inbound_dedup',
  'webhook_rejections',
  'rate_limits',
  'rate_limit_logs',
  'cache_policies',
  'integration_metrics',
  'integration_alerts',
  'alert_events',
] as const;
