/**
 * The live stream's hub: platform events turned into Server-Sent Events for the clients of the
 * event's tenant. With no client of that tenant connected an event costs one Map lookup; otherwise it
 * is serialised once and written to each client. A client that cannot keep up (more than
 * `maxBufferedBytes` unsent) is disconnected rather than buffered without bound.
 *
 * Across nodes (a `relay`, Redis pub/sub): each node announces the tenants its clients watch, and
 * relays those tenants' events only, coalesced into one message per
 * `RELAY_FLUSH_MS`. A relayed frame goes straight to the receiving node's clients, never onto its
 * event bus, so nothing there (webhook outbox, metrics, caches) acts on it a second time.
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

/** Messages to and from the hubs of the other nodes. */
export interface StreamRelay {
  readonly nodeId: string;
  send(message: string): void;
  /** `receive` gets the other nodes' messages only. */
  subscribe(receive: (message: string) => void): Promise<void>;
}

/** One relay message: its node, the tenants it watches (when they changed) and frames to show. */
interface RelayMessage {
  n: string;
  w?: string[];
  f?: Array<[tenantId: string, name: StreamEventName, data: Record<string, unknown>]>;
}

const RELAY_FLUSH_MS = 50;
/**
 * Frames per relay message: at most 5000 events a second leave a node for the others, which bounds
 * the relay's CPU (a few µs an event); beyond that, remote live views show a sample.
 */
export const RELAY_MAX_FRAMES = 250;

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
  // A final failure is shown once, from webhook.delivery_failed.
  'webhook.delivery_attempted': (event) =>
    event.data.outcome === 'failed'
      ? null
      : {
          name: 'delivery',
          data: {
            kind: str(event.data.outcome),
            subscriptionId: str(event.data.subscriptionId),
            deliveryId: str(event.data.deliveryId),
            responseStatus: typeof event.data.responseStatus === 'number' ? event.data.responseStatus : null,
          },
        },
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
  options: {
    maxBufferedBytes?: number;
    heartbeatMs?: number;
    relay?: StreamRelay;
    log?: { warn(object: unknown, message: string): void };
  } = {},
): StreamHub {
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const { relay } = options;
  const byTenant = new Map<string, Set<StreamClient>>();
  let size = 0;

  // Relay state: what the other nodes watch (forgotten when a node stops re-announcing), and what
  // waits for the next relay message.
  const watchers = new Map<string, { tenants: string[]; until: number }>();
  let watchedElsewhere = new Set<string>();
  let outgoing: NonNullable<RelayMessage['f']> = [];
  let announce = false;
  let flushTimer: NodeJS.Timeout | undefined;

  function flush(): void {
    flushTimer = undefined;
    if (!relay) return;
    const message: RelayMessage = { n: relay.nodeId };
    if (announce) message.w = [...byTenant.keys()];
    if (outgoing.length > 0) message.f = outgoing;
    announce = false;
    outgoing = [];
    relay.send(JSON.stringify(message));
  }

  function scheduleFlush(): void {
    flushTimer ??= setTimeout(flush, RELAY_FLUSH_MS);
  }

  function announceWatched(): void {
    if (!relay) return;
    announce = true;
    scheduleFlush();
  }

  function rebuildWatched(): void {
    watchedElsewhere = new Set([...watchers.values()].flatMap((node) => node.tenants));
  }

  function receive(raw: string): void {
    let message: RelayMessage;
    try {
      message = JSON.parse(raw) as RelayMessage;
    } catch {
      return; // not ours
    }
    if (message.w) {
      // A node we did not know (just started) learns at once what we watch.
      if (!watchers.has(message.n) && byTenant.size > 0) announceWatched();
      if (message.w.length === 0) watchers.delete(message.n);
      else watchers.set(message.n, { tenants: message.w, until: Date.now() + 3 * heartbeatMs });
      rebuildWatched();
    }
    for (const [tenantId, name, data] of message.f ?? []) {
      const clients = byTenant.get(tenantId);
      if (clients) deliver(tenantId, clients, name, formatSse(name, data));
    }
  }

  function remove(tenantId: string, client: StreamClient): void {
    const clients = byTenant.get(tenantId);
    if (!clients?.delete(client)) return;
    size--;
    if (clients.size === 0) {
      byTenant.delete(tenantId);
      announceWatched();
    }
  }

  function send(tenantId: string, client: StreamClient, chunk: string): void {
    if (client.write(chunk) > maxBuffered) {
      remove(tenantId, client);
      client.close();
    }
  }

  function onEvent(event: PlatformEvent): void {
    // An event the bus relayed from another node was shown there, and relayed by that node's hub.
    if (event.remote) return;
    const tenantId = (event.data as { tenantId?: string | null }).tenantId;
    if (!tenantId) return;
    const clients = byTenant.get(tenantId);
    const elsewhere = watchedElsewhere.has(tenantId) && outgoing.length < RELAY_MAX_FRAMES;
    if (!clients && !elsewhere) return;
    const mapped = MAPPERS[event.type]?.(event as unknown as Loose);
    if (!mapped) return;
    const data = { ...mapped.data, time: event.time };
    if (clients) deliver(tenantId, clients, mapped.name, formatSse(mapped.name, data));
    if (elsewhere) {
      outgoing.push([tenantId, mapped.name, data]);
      scheduleFlush();
    }
  }

  function deliver(tenantId: string, clients: Set<StreamClient>, name: StreamEventName, chunk: string): void {
    for (const client of [...clients])
      if (client.types.size === 0 || client.types.has(name)) send(tenantId, client, chunk);
  }

  // One subscription (the bus tests every subscription's pattern per event); MAPPERS picks the types.
  const unsubscribe = [events.subscribe('*', onEvent)];
  relay
    ?.subscribe(receive)
    .catch((error: unknown) => options.log?.warn({ err: error }, 'live stream: relay subscription failed'));
  // Say hello (an empty announcement): the other nodes answer with what they watch.
  announceWatched();
  const heartbeat = setInterval(() => {
    for (const [tenantId, clients] of byTenant)
      for (const client of [...clients]) send(tenantId, client, ': ping\n\n');
    const now = Date.now();
    for (const [node, { until }] of watchers) if (until < now) watchers.delete(node);
    rebuildWatched();
    if (byTenant.size > 0) announceWatched();
  }, heartbeatMs);
  heartbeat.unref();

  return {
    add(tenantId, client) {
      let clients = byTenant.get(tenantId);
      if (!clients) {
        clients = new Set();
        byTenant.set(tenantId, clients);
      }
      if (clients.size === 0) announceWatched();
      clients.add(client);
      size++;
      return () => remove(tenantId, client);
    },
    get size() {
      return size;
    },
    close() {
      clearInterval(heartbeat);
      clearTimeout(flushTimer);
      for (const stop of unsubscribe) stop();
      for (const clients of byTenant.values()) for (const client of clients) client.close();
      const watched = byTenant.size > 0;
      byTenant.clear();
      size = 0;
      // The other nodes stop relaying to us now rather than when our announcement expires.
      announce = watched;
      if (watched) flush();
    },
  };
}
