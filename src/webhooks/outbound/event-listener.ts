/**
 * Platform events from other modules (the gateway's `api.call.*`, monitoring's alerts, our own
 * delivery_failed) become outbox rows. They are published after their own transaction committed, so
 * this is the one place where the outbox is written in a transaction of its own: events are buffered
 * for a few milliseconds and written per tenant in one transaction. `webhook.received` is not handled
 * here: the inbound path writes its deliveries in the transaction that stores the webhook.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../platform/db/client.js';
import type { EventBus, PlatformEvent } from '../../platform/events.js';
import { INTERNAL_EVENT_TYPES } from '../catalog.js';
import { type DeliveryInsert, type Fanout, insertDeliveries } from './fanout.js';

const SELF_FANNED_OUT = new Set(['webhook.received']);
const FLUSH_MS = 10;
const MAX_BUFFER = 10_000;

export function listenForEvents(
  db: Database,
  bus: EventBus,
  fanout: Fanout,
  options: { onEnqueued: () => void; log?: { warn(o: unknown, m: string): void } },
) {
  let buffer: PlatformEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function write(events: PlatformEvent[]): Promise<void> {
    const byTenant = new Map<string, PlatformEvent[]>();
    for (const event of events) {
      const tenantId = (event.data as { tenantId?: unknown }).tenantId;
      if (typeof tenantId !== 'string') continue;
      const list = byTenant.get(tenantId);
      if (list) list.push(event);
      else byTenant.set(tenantId, [event]);
    }
    let enqueued = 0;
    for (const [tenantId, tenantEvents] of byTenant) {
      if (!(await fanout.hasSubscriptions(tenantId))) continue;
      const rows: DeliveryInsert[] = [];
      for (const event of tenantEvents) {
        const { tenantId: _tenant, ...data } = event.data as Record<string, unknown>;
        // A failure report about subscription X is not sent to X: it would fail the same way, forever.
        const cause = typeof data.subscriptionId === 'string' ? data.subscriptionId : undefined;
        rows.push(
          ...(await fanout.plan(
            tenantId,
            { id: randomUUID(), type: event.type, timestamp: event.time, data },
            cause ? (id) => id === cause : undefined,
          )),
        );
      }
      if (rows.length === 0) continue;
      await db.tenantStatement(tenantId, insertDeliveries(rows));
      enqueued += rows.length;
    }
    if (enqueued > 0) options.onEnqueued();
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const events = buffer;
    buffer = [];
    if (events.length === 0) return writing;
    writing = writing.then(() =>
      write(events).catch((error) =>
        options.log?.warn({ err: error, count: events.length }, 'enqueueing events failed'),
      ),
    );
    return writing;
  }

  const unsubscribe = bus.subscribe('*', (event) => {
    if (INTERNAL_EVENT_TYPES.has(event.type) || SELF_FANNED_OUT.has(event.type)) return;
    // An event relayed from another node was enqueued there: enqueueing it here too would deliver it
    // once per node. (A cross-node transport must mark relayed events `remote: true`.)
    if (event.remote === true) return;
    if (buffer.length >= MAX_BUFFER) {
      options.log?.warn({ type: event.type }, 'event buffer full: event not enqueued for webhooks');
      return;
    }
    buffer.push(event);
    timer ??= setTimeout(() => void flush(), FLUSH_MS);
  });

  return {
    flush,
    async close(): Promise<void> {
      unsubscribe();
      await flush();
    },
  };
}
