/**
 * The delivery log: inbound webhooks received and outbound deliveries with every attempt, searchable;
 * manual redelivery of one, bulk replay of a subscription's, and the test send.
 */
import { randomUUID } from 'node:crypto';
import {
  and,
  asc,
  eq,
  getTableColumns,
  gte,
  ilike,
  inArray,
  isNotNull,
  lte,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import { audit, type RequestContext } from '../platform/audit.js';
import { type Database, isUuid } from '../platform/db/client.js';
import { containsPattern } from '../platform/db/like.js';
import { webhookDeliveries, webhookDeliveryAttempts, webhookSubscriptions } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import { envelopeOf, newMessageId } from './outbound/fanout.js';
import { maxAttemptsOf, type RetryConfig, type RetryDefaults } from './outbound/retry-schedule.js';

export const DELIVERY_STATUSES = [
  'pending',
  'delivering',
  'delivered',
  'failed',
  'received',
  'filtered',
] as const;

export interface DeliveryListQuery {
  limit: number;
  cursor?: string;
  subscriptionId?: string;
  endpointId?: string;
  status?: (typeof DELIVERY_STATUSES)[number];
  eventType?: string;
  from?: string;
  to?: string;
  /** Text in the target URL or the error message. */
  q?: string;
}

type DeliveryRow = typeof webhookDeliveries.$inferSelect;

function toView(row: DeliveryRow, withPayload: boolean) {
  return {
    id: row.id,
    direction: row.subscriptionId ? 'outbound' : 'inbound',
    subscriptionId: row.subscriptionId,
    endpointId: row.endpointId,
    eventType: row.eventType,
    eventId: row.eventId,
    messageId: row.messageId,
    targetUrl: row.targetUrl,
    status: row.status,
    attemptNumber: row.attemptNumber,
    maxAttempts: row.maxAttempts,
    responseStatus: row.responseStatus,
    errorMessage: row.errorMessage,
    deliveryTime: row.deliveryTime,
    nextRetryAt: row.nextRetryAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    ...(withPayload
      ? {
          payload: row.payload,
          eventData: row.eventData,
          requestHeaders: row.requestHeaders,
          responseHeaders: row.responseHeaders,
          responseBody: row.responseBody,
        }
      : {}),
  };
}

const notFound = () => new KryonixError('KRX_NOT_FOUND', 'webhook delivery not found');

export function createDeliveryLog(
  db: Database,
  options: { retryDefaults: RetryDefaults; nudge: () => void },
) {
  return {
    async list(tenantId: string, query: DeliveryListQuery): Promise<Page<ReturnType<typeof toView>>> {
      const filters: SQL[] = [];
      if (query.subscriptionId) filters.push(eq(webhookDeliveries.subscriptionId, query.subscriptionId));
      if (query.endpointId) filters.push(eq(webhookDeliveries.endpointId, query.endpointId));
      if (query.status) filters.push(eq(webhookDeliveries.status, query.status));
      if (query.eventType) filters.push(eq(webhookDeliveries.eventType, query.eventType));
      if (query.from) filters.push(gte(webhookDeliveries.createdAt, new Date(query.from)));
      if (query.to) filters.push(lte(webhookDeliveries.createdAt, new Date(query.to)));
      if (query.q) {
        const pattern = containsPattern(query.q);
        filters.push(
          or(ilike(webhookDeliveries.targetUrl, pattern), ilike(webhookDeliveries.errorMessage, pattern))!,
        );
      }
      const page = keyset(webhookDeliveries.createdAt, webhookDeliveries.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(webhookDeliveries), cursorAt: page.at })
          .from(webhookDeliveries)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, (row) => toView(row, false));
    },

    async get(tenantId: string, id: string) {
      if (!isUuid(id)) throw notFound();
      return db.withTenant(tenantId, async (tx) => {
        const [row] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
        if (!row) throw notFound();
        const attempts = await tx
          .select()
          .from(webhookDeliveryAttempts)
          .where(eq(webhookDeliveryAttempts.deliveryId, id))
          .orderBy(asc(webhookDeliveryAttempts.attemptNumber), asc(webhookDeliveryAttempts.createdAt));
        return {
          ...toView(row, true),
          attempts: attempts.map((attempt) => ({
            attemptNumber: attempt.attemptNumber,
            requestHeaders: attempt.requestHeaders,
            responseStatus: attempt.responseStatus,
            responseHeaders: attempt.responseHeaders,
            responseBody: attempt.responseBody,
            durationMs: attempt.durationMs,
            errorMessage: attempt.errorMessage,
            createdAt: attempt.createdAt.toISOString(),
          })),
        };
      });
    },

    /** Sends an outbound delivery again now, with one more attempt allowed. */
    async retry(context: RequestContext, tenantId: string, id: string) {
      if (!isUuid(id)) throw notFound();
      const row = await db.withTenant(tenantId, async (tx) => {
        const [found] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
        if (!found?.subscriptionId) throw notFound();
        if (found.status === 'delivering' || found.status === 'pending') {
          throw new KryonixError('KRX_CONFLICT', `the delivery is already ${found.status}`);
        }
        const [updated] = await tx
          .update(webhookDeliveries)
          .set({
            status: 'pending',
            nextRetryAt: sql`now()`,
            maxAttempts: sql`greatest(${webhookDeliveries.maxAttempts}, ${webhookDeliveries.attemptNumber} + 1)`,
            errorMessage: null,
          })
          .where(eq(webhookDeliveries.id, id))
          .returning();
        await audit(tx, context, {
          action: 'webhook_delivery.retry',
          resourceType: 'webhook_delivery',
          resourceId: id,
        });
        return updated;
      });
      options.nudge();
      return toView(row, false);
    },

    /** Re-sends a subscription's finished deliveries in a time range and status. */
    async replay(
      context: RequestContext,
      tenantId: string,
      subscriptionId: string,
      input: { from?: string; to?: string; status?: 'failed' | 'delivered' },
    ): Promise<{ replayed: number }> {
      if (!isUuid(subscriptionId)) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
      const count = await db.withTenant(tenantId, async (tx) => {
        const [subscription] = await tx
          .select({ id: webhookSubscriptions.id })
          .from(webhookSubscriptions)
          .where(eq(webhookSubscriptions.id, subscriptionId));
        if (!subscription) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
        const updated = await tx
          .update(webhookDeliveries)
          .set({
            status: 'pending',
            nextRetryAt: sql`now()`,
            maxAttempts: sql`greatest(${webhookDeliveries.maxAttempts}, ${webhookDeliveries.attemptNumber} + 1)`,
          })
          .where(
            and(
              eq(webhookDeliveries.subscriptionId, subscriptionId),
              inArray(webhookDeliveries.status, input.status ? [input.status] : ['failed', 'delivered']),
              input.from ? gte(webhookDeliveries.createdAt, new Date(input.from)) : undefined,
              input.to ? lte(webhookDeliveries.createdAt, new Date(input.to)) : undefined,
              isNotNull(webhookDeliveries.subscriptionId),
            ),
          )
          .returning({ id: webhookDeliveries.id });
        await audit(tx, context, {
          action: 'webhook_subscription.replay',
          resourceType: 'webhook_subscription',
          resourceId: subscriptionId,
          details: { ...input, replayed: updated.length },
        });
        return updated.length;
      });
      options.nudge();
      return { replayed: count };
    },

    /** Queues a `test.event` for one subscription, whatever its event types and filters. */
    async test(context: RequestContext, tenantId: string, subscriptionId: string) {
      if (!isUuid(subscriptionId)) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
      const row = await db.withTenant(tenantId, async (tx) => {
        const [subscription] = await tx
          .select()
          .from(webhookSubscriptions)
          .where(eq(webhookSubscriptions.id, subscriptionId));
        if (!subscription) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
        const timestamp = new Date().toISOString();
        const event = {
          id: randomUUID(),
          type: 'test.event',
          timestamp,
          data: { message: 'This is a test event from KRYONIX', sentAt: timestamp },
        };
        const [inserted] = await tx
          .insert(webhookDeliveries)
          .values({
            tenantId,
            subscriptionId,
            eventType: event.type,
            eventData: event.data,
            payload: envelopeOf(event),
            targetUrl: subscription.targetUrl,
            status: 'pending',
            maxAttempts: maxAttemptsOf(subscription.retryConfig as RetryConfig | null, options.retryDefaults),
            messageId: newMessageId(),
            eventId: event.id,
            nextRetryAt: new Date(),
          })
          .returning();
        await audit(tx, context, {
          action: 'webhook_subscription.test',
          resourceType: 'webhook_subscription',
          resourceId: subscriptionId,
        });
        return inserted;
      });
      options.nudge();
      return toView(row, false);
    },
  };
}

export type DeliveryLog = ReturnType<typeof createDeliveryLog>;
