/**
 * The live stream's hub: platform events turned into Server-Sent Events for the clients of the
 * event's tenant. With no client of that tenant connected an event costs one Map lookup; otherwise it
 * is serialised once and written to each client. A client that cannot keep up (more than
 * `maxBufferedBytes` unsent) is disconnected rather than buffered without bound.
 */
import type { EventBus, PlatformEvent } from '../platform/events.js';

export const STREAM_EVENT_NAMES = ['execution', 'delivery', 'health', 'circuit', 'alert'] as const;
export type StreamEventName = (typeof STREAM_EVENT_NAMES)[number];

export interface StreamClient {
  /** Event names the client wants; all when empty. */
  types: ReadonlySet<StreamEventName>;
  /** Writes raw SSE text; returns the bytes now waiting to be sent. */
  write(chunk: string): number;
  close(): void;
}

export interface StreamHub {
  add(tenantId: string, client: StreamClient): () => void;
  /** Connected clients, for metrics and tests. */
  readonly size: number;
  close(): void;
}

type Mapper = (event: Loose) => { name: StreamEventName; data: Record<string, unknown> } | null;
/** Events as the hub reads them: any field may be present. */
type Loose = { type: string; data: Record<string, unknown>; time: string };

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

const MAPPERS: Record<string, Mapper> = {
  'api.call.success': (event) => ({ name: 'execution', data: execution(event, 'success') }),
  'api.call.error': (event) => ({ name: 'execution', data: execution(event, 'failed') }),
  'webhook.received': (event) => ({
    name: 'delivery',
    data: {
      kind: 'received',
      endpointId: str(event.data.endpointId),
      endpointName: str(event.data.endpointName),
    },
  }),
  'webhook.delivery_failed': (event) => ({
    name: 'delivery',
    data: {
      kind: 'failed',
      subscriptionId: str(event.data.subscriptionId),
      deliveryId: str(event.data.deliveryId),
    },
  }),
  'webhook.subscription_disabled': (event) => ({
    name: 'delivery',
    data: { kind: 'subscription_disabled', subscriptionId: str(event.data.subscriptionId) },
  }),
  'connection.health_changed': (event) => {
    const data = event.data as { connectionId: string; previous: string; current: string };
    return {
      name: 'health',
      data: { connectionId: data.connectionId, previous: data.previous, current: data.current },
    };
  },
  'connection.circuit_opened': (event) => ({
    name: 'circuit',
    data: { connectionId: str(event.data.connectionId), state: 'open' },
  }),
  'connection.circuit_closed': (event) => ({
    name: 'circuit',
    data: { connectionId: str(event.data.connectionId), state: 'closed' },
  }),
  'alert.triggered': (event) => ({ name: 'alert', data: alert(event) }),
  'alert.resolved': (event) => ({ name: 'alert', data: alert(event) }),
};

function execution(event: Loose, status: 'success' | 'failed') {
  const data = event.data as Record<string, unknown>;
  return {
    executionId: data.executionId,
    connectionId: data.connectionId,
    executionType: data.executionType ?? null,
    status,
    statusCode: data.statusCode ?? null,
    durationMs: data.durationMs ?? data.executionTime ?? null,
    cacheStatus: data.cacheStatus ?? null,
    bytes: data.bytes ?? 0,
    code: data.code ?? null,
  };
}

function alert(event: Loose) {
  const data = event.data as Record<string, unknown>;
  return {
    alertId: data.alertId,
    eventId: data.eventId ?? null,
    state: event.type === 'alert.resolved' ? 'resolved' : 'firing',
    severity: data.severity ?? null,
    message: data.message ?? null,
  };
}

export function formatSse(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createStreamHub(
  events: EventBus,
  options: { maxBufferedBytes?: number; heartbeatMs?: number } = {},
): StreamHub {
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const byTenant = new Map<string, Set<StreamClient>>();
  let size = 0;

  function remove(tenantId: string, client: StreamClient): void {
    const clients = byTenant.get(tenantId);
    if (!clients?.delete(client)) return;
    size--;
    if (clients.size === 0) byTenant.delete(tenantId);
  }

  function send(tenantId: string, client: StreamClient, chunk: string): void {
    if (client.write(chunk) > maxBuffered) {
      remove(tenantId, client);
      client.close();
    }
  }

  function onEvent(event: PlatformEvent): void {
    const tenantId = (event.data as { tenantId?: string | null }).tenantId;
    if (!tenantId) return;
    const clients = byTenant.get(tenantId);
    if (!clients) return;
    const mapped = MAPPERS[event.type]?.(event as unknown as Loose);
    if (!mapped) return;
    const chunk = formatSse(mapped.name, { ...mapped.data, time: event.time });
    for (const client of [...clients]) {
      if (client.types.size === 0 || client.types.has(mapped.name)) send(tenantId, client, chunk);
    }
  }

  // One subscription (the bus tests every subscription's pattern per event); MAPPERS picks the types.
  const unsubscribe = [events.subscribe('*', onEvent)];
  const heartbeat = setInterval(() => {
    for (const [tenantId, clients] of byTenant)
      for (const client of [...clients]) send(tenantId, client, ': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    add(tenantId, client) {
      let clients = byTenant.get(tenantId);
      if (!clients) {
        clients = new Set();
        byTenant.set(tenantId, clients);
      }
      clients.add(client);
      size++;
      return () => remove(tenantId, client);
    },
    get size() {
      return size;
    },
    close() {
      clearInterval(heartbeat);
      for (const stop of unsubscribe) stop();
      for (const clients of byTenant.values()) for (const client of clients) client.close();
      byTenant.clear();
      size = 0;
    },
  };
}
