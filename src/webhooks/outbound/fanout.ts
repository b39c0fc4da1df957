/**
 * Matching events to subscriptions, once per event, and writing one webhook_deliveries row per
 * (event, subscription) pair: the transactional outbox. Active subscriptions are cached per tenant with
 * their filters and templates compiled, and reloaded when `webhook.config_changed` says so (or after a
 * short TTL, for changes made on another node without a shared event transport).
 */
import { randomUUID } from 'node:crypto';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/client.js';
import { type webhookDeliveries, webhookSubscriptions } from '../../platform/db/schema.js';
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

/** A row of webhook_deliveries as the outbox and the inbound store write it. */
export type DeliveryInsert = Pick<
  typeof webhookDeliveries.$inferInsert,
  | 'id'
  | 'tenantId'
  | 'subscriptionId'
  | 'endpointId'
  | 'eventType'
  | 'eventData'
  | 'payload'
  | 'targetUrl'
  | 'status'
  | 'attemptNumber'
  | 'maxAttempts'
  | 'messageId'
  | 'eventId'
  | 'nextRetryAt'
  | 'deliveredAt'
>;

/**
 * Rows go in as one JSON parameter, one statement for any number: binding each column of each row as a
 * parameter (the query builder's way) cost more than the insert itself on the inbound path's profile.
 * `DELIVERY_RECORD` is the record type of that JSON; `insertDeliveriesFrom` inserts from any relation `v`
 * with its columns.
 */
export const DELIVERY_RECORD = sql.raw(`"id" uuid, "tenantId" uuid, "subscriptionId" uuid, "endpointId" uuid,
  "eventType" text, "eventData" jsonb, "payload" jsonb, "targetUrl" text, "status" text, "attemptNumber" int,
  "maxAttempts" int, "messageId" text, "eventId" uuid, "nextRetryAt" timestamptz, "deliveredAt" timestamptz`);

export function insertDeliveriesFrom(source: SQL): SQL {
  return sql`INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, endpoint_id, event_type, event_data,
  payload, target_url, status, attempt_number, max_attempts, message_id, event_id, next_retry_at, delivered_at)
SELECT coalesce(v."id", gen_random_uuid()), v."tenantId", v."subscriptionId", v."endpointId", v."eventType",
  v."eventData", v."payload", v."targetUrl", coalesce(v."status", 'pending'), coalesce(v."attemptNumber", 1),
  coalesce(v."maxAttempts", 3), v."messageId", v."eventId", v."nextRetryAt", v."deliveredAt"
FROM ${source}`;
}

/** The statement that inserts these rows (run it as their tenant): planned deliveries, inbound events. */
export function insertDeliveries(rows: DeliveryInsert[]): SQL {
  return insertDeliveriesFrom(
    sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(${DELIVERY_RECORD})`,
  );
}

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

    /** Whether the tenant has any active subscription: most gateway events have no one to go to. */
    async hasSubscriptions(tenantId: string): Promise<boolean> {
      return (await subscriptionsOf(tenantId)).length > 0;
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
  };
}

export type Fanout = ReturnType<typeof createFanout>;
