/**
 * Durable storage of accepted inbound webhooks with group commit: requests that arrive while a
 * transaction is being written wait and go together into the next one (per tenant: RLS binds a
 * transaction to one), so a burst costs a few commits rather than one each. Nobody waits on a timer:
 * an idle store writes at once. A batch is one statement: the dedup claims, and the inbound rows and
 * their outbound deliveries of the records claimed. Each request is answered only after its transaction
 * committed. If a batch fails, its items are retried one by one, so one bad item cannot fail its
 * neighbours.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/client.js';
import {
  DELIVERY_RECORD,
  type DeliveryInsert,
  insertDeliveries,
  insertDeliveriesFrom,
} from '../outbound/fanout.js';

export interface InboundRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly endpointId: string;
  /** Provider delivery id to deduplicate on, with its window; absent: no dedup. */
  readonly dedup?: { readonly key: string; readonly windowSeconds: number };
  readonly row: DeliveryInsert;
  readonly deliveries: DeliveryInsert[];
}

interface Pending {
  readonly record: InboundRecord;
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 200;

export function createInboundStore(db: Database, options: { maxConcurrentBatches?: number } = {}) {
  const maxConcurrent = options.maxConcurrentBatches ?? (db.mode === 'embedded' ? 1 : 4);
  const queues = new Map<string, Pending[]>();
  const writing = new Set<string>();
  let active = 0;

  /**
   * Writes one tenant's batch in one statement: the dedup claims, and the rows of the records whose claim
   * succeeded (or that have none). Returns which records were stored (false: a duplicate in its window).
   */
  async function write(tenantId: string, records: InboundRecord[]): Promise<boolean[]> {
    const composite = (record: InboundRecord) => `${record.endpointId}|${record.dedup?.key}`;
    // A repeat inside one batch is a duplicate of the first: one row may be upserted once per statement.
    const first = new Map<string, number>();
    const sent: InboundRecord[] = [];
    for (const [index, record] of records.entries()) {
      if (record.dedup) {
        if (first.has(composite(record))) continue;
        first.set(composite(record), index);
      }
      sent.push(record);
    }
    // One order for every batch, so batches of other nodes claiming the same keys wait, not deadlock.
    const claims = sent
      .filter((record) => record.dedup)
      .map((record) => ({
        endpoint_id: record.endpointId,
        key: record.dedup!.key,
        window_seconds: record.dedup!.windowSeconds,
        order: composite(record),
      }))
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    if (claims.length === 0) {
      // Nothing to deduplicate on: a plain insert, without the claim machinery (measured: a third of the
      // statement's time on the server).
      await db.tenantStatement(
        tenantId,
        insertDeliveries(sent.flatMap((record) => [record.row, ...record.deliveries])),
      );
      return records.map(() => true);
    }
    const rows = sent.flatMap((record) => {
      const claim = {
        claimEndpoint: record.dedup ? record.endpointId : null,
        claimKey: record.dedup?.key ?? null,
      };
      return [record.row, ...record.deliveries].map((row) => ({ ...row, ...claim }));
    });
    const result = await db.tenantStatement<{ endpoint_id: string; delivery_key: string }>(
      tenantId,
      sql`
        WITH claimed AS (
          INSERT INTO webhook_inbound_dedup (tenant_id, endpoint_id, delivery_key, expires_at)
          SELECT ${tenantId}::uuid, c.endpoint_id, c.key, now() + make_interval(secs => c.window_seconds)
          FROM jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) AS c(endpoint_id uuid, key text, window_seconds double precision)
          ON CONFLICT (endpoint_id, delivery_key) DO UPDATE
            SET expires_at = excluded.expires_at, created_at = now()
            WHERE webhook_inbound_dedup.expires_at < now()
          RETURNING endpoint_id, delivery_key
        ),
        kept AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            AS r(${DELIVERY_RECORD}, "claimEndpoint" uuid, "claimKey" text)
          WHERE r."claimKey" IS NULL
            OR EXISTS (SELECT 1 FROM claimed WHERE endpoint_id = r."claimEndpoint" AND delivery_key = r."claimKey")
        ),
        inserted AS (${insertDeliveriesFrom(sql`kept v`)})
        SELECT endpoint_id, delivery_key FROM claimed`,
    );
    const fresh = new Set(result.rows.map((row) => `${row.endpoint_id}|${row.delivery_key}`));
    return records.map(
      (record, index) =>
        !record.dedup || (first.get(composite(record)) === index && fresh.has(composite(record))),
    );
  }

  async function drain(tenantId: string): Promise<void> {
    const queue = queues.get(tenantId);
    if (!queue || queue.length === 0 || writing.has(tenantId) || active >= maxConcurrent) return;
    const batch = queue.splice(0, MAX_BATCH);
    writing.add(tenantId);
    active++;
    try {
      const stored = await write(
        tenantId,
        batch.map((item) => item.record),
      );
      for (const [index, item] of batch.entries()) item.resolve(stored[index]);
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else {
        for (const item of batch) {
          await write(tenantId, [item.record]).then(
            ([stored]) => item.resolve(stored),
            (single) => item.reject(single),
          );
        }
      }
    } finally {
      writing.delete(tenantId);
      active--;
      if (queue.length === 0) queues.delete(tenantId);
      // This tenant's next batch, or another tenant waiting for a free slot.
      for (const waiting of [tenantId, ...queues.keys()]) void drain(waiting);
    }
  }

  return {
    /** Resolves true once stored and committed, false for a duplicate; rejects if it could not be stored. */
    store(record: InboundRecord): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        const queue = queues.get(record.tenantId) ?? [];
        queue.push({ record, resolve, reject });
        queues.set(record.tenantId, queue);
        void drain(record.tenantId);
      });
    },
  };
}

export type InboundStore = ReturnType<typeof createInboundStore>;
