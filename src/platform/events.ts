/**
 * The platform event bus: how modules talk across without importing each other's internals
 * (the gateway emits `api.call.success`; webhooks and monitoring subscribe). In-process today;
 * `EventTransport` is the seam a Redis-backed transport implements to fan events out across nodes.
 */
export const DELIVERY_ATTEMPT_OUTCOMES = ['delivered', 'retry_scheduled', 'failed'] as const;
export type DeliveryAttemptOutcome = (typeof DELIVERY_ATTEMPT_OUTCOMES)[number];

export interface PlatformEventMap {
  'connection.created': { tenantId: string; connectionId: string };
  'connection.updated': { tenantId: string; connectionId: string };
  'connection.deleted': { tenantId: string; connectionId: string };
  'api_key.revoked': { tenantId: string | null; keyId: string };
  'tenant.updated': { tenantId: string };
  'api.call.success': { tenantId: string; connectionId: string; executionId: string; [key: string]: unknown };
  'api.call.error': { tenantId: string; connectionId: string; executionId: string; [key: string]: unknown };
  'connection.health_changed': { tenantId: string; connectionId: string; previous: string; current: string };
  'connection.credentials_refreshed': { tenantId: string; connectionId: string };
  'connection.circuit_opened': { tenantId: string; connectionId: string };
  'connection.circuit_closed': { tenantId: string; connectionId: string };
  'rate_limit.exceeded': { tenantId: string; scope: string; [key: string]: unknown };
  'webhook.received': { tenantId: string; endpointId: string; endpointName: string; [key: string]: unknown };
  'webhook.delivery_failed': {
    tenantId: string;
    subscriptionId: string;
    deliveryId: string;
    [key: string]: unknown;
  };
  /** One attempt of an outbound delivery finished (internal: metrics and the live view, never subscribable). */
  'webhook.delivery_attempted': {
    tenantId: string;
    subscriptionId: string;
    deliveryId: string;
    attempt: number;
    outcome: DeliveryAttemptOutcome;
    responseStatus: number | null;
  };
  'webhook.subscription_disabled': { tenantId: string; subscriptionId: string; reason: string };
  /** Inbound endpoint or subscription settings changed: caches of them must reload (all nodes). */
  'webhook.config_changed': {
    tenantId: string;
    kind: 'endpoint' | 'subscription';
    id: string;
    slug?: string;
  };
  'test.event': { tenantId: string; [key: string]: unknown };
  'alert.triggered': { tenantId: string; alertId: string; [key: string]: unknown };
  'alert.resolved': { tenantId: string; alertId: string; [key: string]: unknown };
}

export type PlatformEventType = keyof PlatformEventMap;

export interface PlatformEvent<K extends PlatformEventType = PlatformEventType> {
  type: K;
  data: PlatformEventMap[K];
  /** ISO time the event happened. */
  time: string;
  /** Set on events relayed from another node: subscribers that act once per cluster skip them. */
  remote?: boolean;
}

export type EventHandler<K extends PlatformEventType = PlatformEventType> = (
  event: PlatformEvent<K>,
) => void | Promise<void>;

export interface EventTransport {
  /** Deliver an event to the other nodes; local handlers are called by the bus itself. */
  broadcast(event: PlatformEvent): Promise<void>;
  /** Called with events that other nodes broadcast. */
  onRemote(receive: (event: PlatformEvent) => void): void;
  close(): Promise<void>;
}

export interface EventBus {
  publish<K extends PlatformEventType>(type: K, data: PlatformEventMap[K]): void;
  /** `pattern` is an exact type, a prefix wildcard (`api.call.*`) or `*`. Returns an unsubscribe. */
  subscribe(pattern: string, handler: EventHandler): () => void;
  close(): Promise<void>;
}

export function matchesEventPattern(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

export function createEventBus(
  options: {
    transport?: EventTransport;
    onHandlerError?: (error: unknown, event: PlatformEvent) => void;
  } = {},
): EventBus {
  const subscriptions = new Set<{ pattern: string; handler: EventHandler }>();

  function deliver(event: PlatformEvent): void {
    for (const subscription of subscriptions) {
      if (!matchesEventPattern(subscription.pattern, event.type)) continue;
      // A failing subscriber must not break the publisher nor its fellow subscribers.
      try {
        const pending = subscription.handler(event);
        if (pending) pending.catch((error: unknown) => options.onHandlerError?.(error, event));
      } catch (error) {
        options.onHandlerError?.(error, event);
      }
    }
  }

  options.transport?.onRemote((event) => deliver({ ...event, remote: true }));

  return {
    publish(type, data) {
      const event = { type, data, time: new Date().toISOString() } as PlatformEvent;
      deliver(event);
      options.transport?.broadcast(event).catch((error: unknown) => options.onHandlerError?.(error, event));
    },
    subscribe(pattern, handler) {
      const subscription = { pattern, handler };
      subscriptions.add(subscription);
      return () => subscriptions.delete(subscription);
    },
    async close() {
      subscriptions.clear();
      await options.transport?.close();
    },
  };
}
