/**
 * Counts what the gateway, the action runner and the webhooks report on the event bus, in plain
 * numbers: one event costs a few array increments and Map lookups, no allocation (no label objects,
 * no string keys built per call). Prometheus reads the numbers at scrape time (metrics.ts).
 *
 * Labels stay bounded: execution types and status classes are fixed lists, error codes are the
 * registry's (anything else is `other`), and per-connection series are capped at `maxConnections`
 * (further connections share `connection_id="_other"`); a deleted connection's series are dropped.
 */
import { ERROR_CODES } from '../platform/errors.js';
import type { DeliveryAttemptOutcome, EventBus, PlatformEvent } from '../platform/events.js';

export const EXECUTION_TYPES = ['api_call', 'batch', 'action', 'proxy', 'other'] as const;
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
export const CACHE_RESULTS = ['HIT', 'MISS', 'REVALIDATED', 'BYPASS'] as const;
/** Upper bounds in seconds of the latency histogram. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
export const OTHER_CONNECTION = '_other';

const TYPE_INDEX: Record<string, number> = { api_call: 0, batch: 1, action: 2, proxy: 3 };
const CELLS = EXECUTION_TYPES.length * STATUS_CLASSES.length;
const MAX_SCOPES = 32;

export interface ConnectionCounters {
  /** Calls by [type * STATUS_CLASSES.length + class]. */
  calls: Float64Array;
  bytes: number;
}

export interface CallCounters {
  connections: Map<string, ConnectionCounters>;
  /** Per execution type: bucket counts (last = +Inf), sum of seconds. */
  latency: { counts: Float64Array; sum: number }[];
  cache: Float64Array;
  errorCodes: Map<string, number>;
  rateLimitExceeded: Map<string, number>;
  healthChanges: Map<string, number>;
  /** Connections whose circuit is open (from circuit events), with their tenant. */
  openCircuits: Map<string, string>;
  webhooks: {
    received: number;
    deliveryFailed: number;
    subscriptionsDisabled: number;
    /** Delivery attempts by outcome. */
    attempts: Map<DeliveryAttemptOutcome, number>;
  };
}

export interface Recorder {
  readonly counters: CallCounters;
  close(): void;
}

interface CallData {
  connectionId: string;
  executionType?: string;
  statusCode?: number | null;
  durationMs?: number;
  executionTime?: number;
  cacheStatus?: string | null;
  bytes?: number;
  code?: string | null;
}

function statusClassIndex(success: boolean, status: number | null | undefined): number {
  if (typeof status !== 'number' || status < 100) return success ? 0 : 4;
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

function bucketIndex(seconds: number): number {
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]) return i;
  return LATENCY_BUCKETS.length;
}

export function createRecorder(events: EventBus, options: { maxConnections?: number } = {}): Recorder {
  const maxConnections = options.maxConnections ?? 1000;
  const counters: CallCounters = {
    connections: new Map(),
    latency: EXECUTION_TYPES.map(() => ({ counts: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0 })),
    cache: new Float64Array(CACHE_RESULTS.length),
    errorCodes: new Map(),
    rateLimitExceeded: new Map(),
    healthChanges: new Map(),
    openCircuits: new Map(),
    webhooks: { received: 0, deliveryFailed: 0, subscriptionsDisabled: 0, attempts: new Map() },
  };

  function slotOf(connectionId: string): ConnectionCounters {
    let slot = counters.connections.get(connectionId);
    if (slot) return slot;
    const key = counters.connections.size < maxConnections ? connectionId : OTHER_CONNECTION;
    slot = counters.connections.get(key);
    if (!slot) {
      slot = { calls: new Float64Array(CELLS), bytes: 0 };
      counters.connections.set(key, slot);
    }
    return slot;
  }

  function onCall(event: PlatformEvent): void {
    const data = event.data as unknown as CallData;
    const success = event.type === 'api.call.success';
    const type = TYPE_INDEX[data.executionType ?? ''] ?? 4;
    const slot = slotOf(data.connectionId);
    slot.calls[type * STATUS_CLASSES.length + statusClassIndex(success, data.statusCode)]++;
    if (data.bytes) slot.bytes += data.bytes;
    const ms = data.durationMs ?? data.executionTime;
    if (typeof ms === 'number') {
      const latency = counters.latency[type];
      latency.counts[bucketIndex(ms / 1000)]++;
      latency.sum += ms / 1000;
    }
    switch (data.cacheStatus) {
      case 'HIT':
        counters.cache[0]++;
        break;
      case 'MISS':
        counters.cache[1]++;
        break;
      case 'REVALIDATED':
        counters.cache[2]++;
        break;
      case 'BYPASS':
        counters.cache[3]++;
        break;
    }
    if (data.code) {
      const code = data.code in ERROR_CODES ? data.code : 'other';
      counters.errorCodes.set(code, (counters.errorCodes.get(code) ?? 0) + 1);
    }
  }

  // One subscription, dispatched by type: the bus tests every subscription's pattern per event.
  const handlers: Record<string, (event: PlatformEvent) => void> = {
    'api.call.success': onCall,
    'api.call.error': onCall,
    'rate_limit.exceeded': (event) => {
      const { scope } = event.data as { scope: string };
      const key =
        counters.rateLimitExceeded.has(scope) || counters.rateLimitExceeded.size < MAX_SCOPES
          ? scope
          : 'other';
      counters.rateLimitExceeded.set(key, (counters.rateLimitExceeded.get(key) ?? 0) + 1);
    },
    'connection.health_changed': (event) => {
      const { current } = event.data as { current: string };
      const key = ['healthy', 'unhealthy', 'degraded', 'unknown'].includes(current) ? current : 'other';
      counters.healthChanges.set(key, (counters.healthChanges.get(key) ?? 0) + 1);
    },
    'connection.circuit_opened': (event) => {
      const { tenantId, connectionId } = event.data as { tenantId: string; connectionId: string };
      if (counters.openCircuits.size < maxConnections) counters.openCircuits.set(connectionId, tenantId);
    },
    'connection.circuit_closed': (event) => {
      counters.openCircuits.delete((event.data as { connectionId: string }).connectionId);
    },
    'connection.deleted': (event) => {
      const { connectionId } = event.data as { connectionId: string };
      counters.connections.delete(connectionId);
      counters.openCircuits.delete(connectionId);
    },
    'webhook.received': () => {
      counters.webhooks.received++;
    },
    'webhook.delivery_failed': () => {
      counters.webhooks.deliveryFailed++;
    },
    'webhook.delivery_attempted': (event) => {
      const { outcome } = event.data as { outcome: DeliveryAttemptOutcome };
      const attempts = counters.webhooks.attempts;
      attempts.set(outcome, (attempts.get(outcome) ?? 0) + 1);
    },
    'webhook.subscription_disabled': () => {
      counters.webhooks.subscriptionsDisabled++;
    },
  };
  const unsubscribe = [events.subscribe('*', (event) => handlers[event.type]?.(event))];

  return {
    counters,
    close() {
      for (const stop of unsubscribe) stop();
    },
  };
}
