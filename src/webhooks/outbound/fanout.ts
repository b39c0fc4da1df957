/**
 * Matching events to subscriptions, once per event, and writing one webhook_deliveries row per
 * (event, subscription) pair: the transactional outbox. Active subscriptions are cached per tenant with
 * their filters and templates compiled, and reloaded when `webhook.config_changed` says so (or after a
 * short TTL, for changes made on another node without a shared event transport).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database, Tx } from '../../platform/db/client.js';
import { webhookDeliveries, webhookSubscriptions } from '../../platform/db/schema.js';
import { matchesEventPattern } from '../../platform/events.js';
import {
  type CompiledFilter,
  type CompiledTemplate,
  compileFilter,
  compileTemplate,
  type FilterSpec,
  type JsonValue,
} from '../../transform/index.js';
import { maxAttemptsOf, type RetryConfig, type RetryDefaults } from './retry-schedule.js';

export interface OutboundEvent {
  readonly id: string;
  readonly type: string;
  /** ISO time. */
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

interface LiveSubscription {
  readonly id: string;
  readonly targetUrl: string;
  readonly events: readonly string[];
  readonly filter?: CompiledFilter;
  readonly template?: CompiledTemplate;
  readonly maxAttempts: number;
}

export type DeliveryInsert = typeof webhookDeliveries.$inferInsert;

const TTL_MS = 30_000;

/** `msg_` + 26 url-safe characters: printable ASCII without `.`, as Standard Webhooks asks. */
export function newMessageId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

/** What a subscriber receives by default: the Standard Webhooks payload shape. */
export function envelopeOf(event: OutboundEvent): {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
} {
  return { type: event.type, timestamp: event.timestamp, data: event.data };
}

export function createFanout(
  db: Database,
  options: { retryDefaults: RetryDefaults; onError?: (error: unknown, context: string) => void },
) {
  const cache = new Map<string, { loadedAt: number; subscriptions: Promise<LiveSubscription[]> }>();

  async function load(tenantId: string): Promise<LiveSubscription[]> {
    const rows = await db.withTenant(tenantId, (tx) =>
      tx.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.isActive, true)),
    );
    return rows.flatMap((row) => {
      try {
        return [
          {
            id: row.id,
            targetUrl: row.targetUrl,
            events: row.events,
            filter: row.eventFilters ? compileFilter(row.eventFilters as FilterSpec) : undefined,
            template:
              row.payloadTemplate !== null && row.payloadTemplate !== undefined
                ? compileTemplate(row.payloadTemplate as JsonValue)
                : undefined,
            maxAttempts: maxAttemptsOf(row.retryConfig as RetryConfig | null, options.retryDefaults),
          },
        ];
      } catch (error) {
        // Checked when saved; a setting that no longer compiles (a newer limit) must not block the others.
        options.onError?.(error, `subscription ${row.id} does not compile`);
        return [];
      }
    });
  }

  function subscriptionsOf(tenantId: string): Promise<LiveSubscription[]> {
    const cached = cache.get(tenantId);
    if (cached && Date.now() - cached.loadedAt < TTL_MS) return cached.subscriptions;
    const subscriptions = load(tenantId);
    cache.set(tenantId, { loadedAt: Date.now(), subscriptions });
    subscriptions.catch(() => cache.delete(tenantId));
    return subscriptions;
  }

  return {
    invalidate(tenantId: string): void {
      cache.delete(tenantId);
    },

    /**
     * The delivery rows an event makes: matched on type, filtered, templated. Runs before the
     * transaction that inserts them, so no transaction waits on a template.
     */
    async plan(
      tenantId: string,
      event: OutboundEvent,
      exclude?: (subscriptionId: string) => boolean,
    ): Promise<DeliveryInsert[]> {
      const subscriptions = await subscriptionsOf(tenantId);
      const rows: DeliveryInsert[] = [];
      const envelope = envelopeOf(event);
      for (const subscription of subscriptions) {
        if (!subscription.events.some((pattern) => matchesEventPattern(pattern, event.type))) continue;
        if (exclude?.(subscription.id)) continue;
        let payload: unknown = envelope;
        try {
          if (subscription.filter && !(await subscription.filter(envelope))) continue;
          // Plain JSON: templates may render null-prototype objects, which the SQL layer cannot bind.
          if (subscription.template)
            payload = JSON.parse(JSON.stringify(await subscription.template(envelope)));
        } catch (error) {
          options.onError?.(error, `subscription ${subscription.id} filter/template failed`);
          continue;
        }
        rows.push({
          tenantId,
          subscriptionId: subscription.id,
          eventType: event.type,
          eventData: event.data,
          payload: (payload ?? {}) as object,
          targetUrl: subscription.targetUrl,
          status: 'pending',
          attemptNumber: 1,
          maxAttempts: subscription.maxAttempts,
          messageId: newMessageId(),
          eventId: event.id,
          nextRetryAt: new Date(),
        });
      }
      return rows;
    },

    /** Inserts planned rows inside the caller's transaction. */
    async enqueue(tx: Tx, rows: DeliveryInsert[]): Promise<void> {
      for (let start = 0; start < rows.length; start += 500) {
        await tx.insert(webhookDeliveries).values(rows.slice(start, start + 500));
      }
    },
  };
}

export type Fanout = ReturnType<typeof createFanout>;
