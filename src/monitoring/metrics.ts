/**
 * The Prometheus registry behind `GET /metrics`: the recorder's counters (gateway calls, latency,
 * errors, cache, rate limits, circuits, health, webhooks), snapshots read at scrape time (execution
 * buffer, delivery queue) and the process metrics of prom-client. One registry per platform (tests run
 * several in one process).
 */
import { sql } from 'drizzle-orm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../platform/db/client.js';
import { DELIVERY_ATTEMPT_OUTCOMES } from '../platform/events.js';
import { histogramSamples, registerCollected, type Sample } from './collected.js';
import {
  CACHE_RESULTS,
  EXECUTION_TYPES,
  LATENCY_BUCKETS,
  type Recorder,
  STATUS_CLASSES,
} from './recorder.js';

export interface ExecutionLogStats {
  buffered: number;
  written: number;
  dropped: number;
  failedFlushes: number;
}

export interface MetricsSources {
  db: Database;
  recorder: Recorder;
  executionLogStats: () => ExecutionLogStats;
  /** The live state of a connection's circuit, when the node has one. */
  circuitState?: (connectionId: string) => 'closed' | 'open' | 'half_open';
  /** Provider quotas the connectors track per connection (Salesforce's API requests, …). */
  providerQuotas?: () => Iterable<ProviderQuotaSample>;
  /** Extra gauges from other parts of monitoring (alerts firing, jobs). */
  extra?: (registry: Registry) => void;
}

/** A provider-side limit of one connection: `connector` and `quota` are names fixed in code. */
export interface ProviderQuotaSample {
  connectionId: string;
  connector: string;
  quota: string;
  used: number;
  limit: number;
}

/** Series per quota gauge, like the per-connection counters' cap; further connections are left out. */
const MAX_QUOTA_SERIES = 1000;

export interface QueueSnapshot {
  pending: number;
  delivering: number;
  /** Seconds the oldest due pending delivery has waited; 0 when none is due. */
  oldestDueAgeSeconds: number;
}

/** One cheap query on the queue's partial indexes, shared by scrapes within `ttlMs`. */
export function createQueueProbe(db: Database, ttlMs = 5000): () => Promise<QueueSnapshot | null> {
  let cached: { at: number; value: Promise<QueueSnapshot | null> } | undefined;
  return () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.value;
    const value = db
      .withPlatform(async (tx) => {
        const result = await tx.execute(sql`
          SELECT
            (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::int AS pending,
            (SELECT count(*) FROM webhook_deliveries WHERE status = 'delivering')::int AS delivering,
            coalesce(extract(epoch FROM now() - (
              SELECT min(next_retry_at) FROM webhook_deliveries
              WHERE status = 'pending' AND next_retry_at <= now()
            )), 0)::float8 AS oldest`);
        const row = result.rows[0] as { pending: number; delivering: number; oldest: number };
        return {
          pending: Number(row.pending),
          delivering: Number(row.delivering),
          oldestDueAgeSeconds: Math.max(0, Number(row.oldest)),
        };
      })
      .catch(() => null);
    cached = { at: Date.now(), value };
    return value;
  };
}

export function createMetricsRegistry(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters fail `promtool check metrics`; the same numbers remain, by type, in
  // nodejs_active_handles / _requests / _resources.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    registry.removeSingleMetric(name);
  const { counters } = sources.recorder;

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_requests_total',
      help: 'Calls made through connections, by connection, execution type and status class (error: no HTTP answer)',
      type: 'counter',
    },
    () => {
      const samples: Sample[] = [];
      for (const [connectionId, slot] of counters.connections) {
        for (let t = 0; t < EXECUTION_TYPES.length; t++) {
          for (let c = 0; c < STATUS_CLASSES.length; c++) {
            const value = slot.calls[t * STATUS_CLASSES.length + c];
            if (value > 0)
              samples.push({
                labels: {
                  connection_id: connectionId,
                  type: EXECUTION_TYPES[t],
                  status_class: STATUS_CLASSES[c],
                },
                value,
              });
          }
        }
      }
      return samples;
    },
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_errors_total',
      help: 'Failed calls (4xx, 5xx or no answer) by connection and status class',
      type: 'counter',
    },
    () => {
      const samples: Sample[] = [];
      for (const [connectionId, slot] of counters.connections) {
        for (let c = 2; c < STATUS_CLASSES.length; c++) {
          let value = 0;
          for (let t = 0; t < EXECUTION_TYPES.length; t++) value += slot.calls[t * STATUS_CLASSES.length + c];
          if (value > 0)
            samples.push({ labels: { connection_id: connectionId, status_class: STATUS_CLASSES[c] }, value });
        }
      }
      return samples;
    },
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_error_codes_total',
      help: 'Failed calls by platform error code (KRX_...)',
      type: 'counter',
    },
    () => [...counters.errorCodes].map(([code, value]) => ({ labels: { code }, value })),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_request_duration_seconds',
      help: 'Duration of calls through connections, retries included, by execution type',
      type: 'histogram',
    },
    () =>
      EXECUTION_TYPES.flatMap((type, t) => {
        const latency = counters.latency[t];
        let total = 0;
        for (const count of latency.counts) total += count;
        return total === 0
          ? []
          : histogramSamples(
              'kryonix_gateway_request_duration_seconds',
              LATENCY_BUCKETS,
              latency.counts,
              latency.sum,
              {
                type,
              },
            );
      }),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_response_bytes_total',
      help: 'Response bytes received from upstreams',
      type: 'counter',
    },
    () => {
      let total = 0;
      for (const slot of counters.connections.values()) total += slot.bytes;
      return [{ value: total }];
    },
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_gateway_cache_requests_total',
      help: 'Response cache outcomes of gateway calls (HIT, MISS, REVALIDATED, BYPASS)',
      type: 'counter',
    },
    () => CACHE_RESULTS.map((result, i) => ({ labels: { result }, value: counters.cache[i] })),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_rate_limit_exceeded_total',
      help: 'Rate-limit windows that started refusing calls, by rule scope (one per window and subject)',
      type: 'counter',
    },
    () => [...counters.rateLimitExceeded].map(([scope, value]) => ({ labels: { scope }, value })),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_circuit_open',
      help: 'Connections whose circuit breaker is not closed on this node (1 open, 0.5 half-open)',
      type: 'gauge',
      aggregator: 'max',
    },
    () =>
      [...counters.openCircuits.keys()].map((connectionId) => ({
        labels: { connection_id: connectionId },
        value: sources.circuitState?.(connectionId) === 'half_open' ? 0.5 : 1,
      })),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_connection_health_changes_total',
      help: 'Connection health status changes, by new status',
      type: 'counter',
    },
    () => [...counters.healthChanges].map(([status, value]) => ({ labels: { status }, value })),
  );

  registerCollected(
    registry,
    {
      name: 'kryonix_webhooks_received_total',
      help: 'Inbound webhooks accepted and stored',
      type: 'counter',
    },
    () => [{ value: counters.webhooks.received }],
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_webhook_deliveries_failed_total',
      help: 'Outbound deliveries that exhausted their attempts (dead-lettered)',
      type: 'counter',
    },
    () => [{ value: counters.webhooks.deliveryFailed }],
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_webhook_delivery_attempts_total',
      help: 'Outbound delivery attempts by outcome (delivered, retry_scheduled, failed)',
      type: 'counter',
    },
    () =>
      DELIVERY_ATTEMPT_OUTCOMES.map((outcome) => ({
        labels: { outcome },
        value: counters.webhooks.attempts.get(outcome) ?? 0,
      })),
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_webhook_subscriptions_disabled_total',
      help: 'Subscriptions disabled automatically (410 Gone or failing for too long)',
      type: 'counter',
    },
    () => [{ value: counters.webhooks.subscriptionsDisabled }],
  );

  const quotas = () => {
    const samples = [...(sources.providerQuotas?.() ?? [])].slice(0, MAX_QUOTA_SERIES);
    return samples.map(({ connectionId, connector, quota, used, limit }) => ({
      labels: { connection_id: connectionId, connector, quota },
      used,
      limit,
    }));
  };
  registerCollected(
    registry,
    {
      name: 'kryonix_connector_quota_used',
      help: "A provider's own limit as it last reported its use, by connection (e.g. Salesforce api_requests per 24 h)",
      type: 'gauge',
      aggregator: 'max',
    },
    () => quotas().map(({ labels, used }) => ({ labels, value: used })),
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_connector_quota_limit',
      help: "A provider's own limit as it last reported it, by connection",
      type: 'gauge',
      aggregator: 'max',
    },
    () => quotas().map(({ labels, limit }) => ({ labels, value: limit })),
  );

  const queue = createQueueProbe(sources.db);
  registerCollected(
    registry,
    {
      name: 'kryonix_webhook_queue_depth',
      help: 'Outbound deliveries in the queue, by status (all nodes: read from the database)',
      type: 'gauge',
      aggregator: 'first',
    },
    async () => {
      const snapshot = await queue();
      return snapshot
        ? [
            { labels: { status: 'pending' }, value: snapshot.pending },
            { labels: { status: 'delivering' }, value: snapshot.delivering },
          ]
        : [];
    },
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_webhook_queue_oldest_age_seconds',
      help: 'How long the oldest due pending delivery has waited',
      type: 'gauge',
      aggregator: 'first',
    },
    async () => {
      const snapshot = await queue();
      return snapshot ? [{ value: snapshot.oldestDueAgeSeconds }] : [];
    },
  );

  const log = sources.executionLogStats;
  registerCollected(
    registry,
    {
      name: 'kryonix_execution_log_buffered',
      help: 'Execution records waiting to be written',
      type: 'gauge',
    },
    () => [{ value: log().buffered }],
  );
  registerCollected(
    registry,
    { name: 'kryonix_execution_log_written_total', help: 'Execution records written', type: 'counter' },
    () => [{ value: log().written }],
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_execution_log_dropped_total',
      help: 'Execution records dropped (buffer full while the database was unavailable, or orphaned)',
      type: 'counter',
    },
    () => [{ value: log().dropped }],
  );
  registerCollected(
    registry,
    {
      name: 'kryonix_execution_log_failed_flushes_total',
      help: 'Batch writes of execution records that failed',
      type: 'counter',
    },
    () => [{ value: log().failedFlushes }],
  );

  sources.extra?.(registry);
  return registry;
}
