/**
 * Durable storage of accepted inbound webhooks with group commit: requests that arrive while a
 * transaction is being written wait and go together into the next one (per tenant: RLS binds a
 * transaction to one), so a burst costs a few commits rather than one each. Nobody waits on a timer:
 * an idle store writes at once. A batch is two statements: the dedup claims, then the inbound rows and
 * their outbound deliveries in one INSERT. Each request is answered only after its transaction
 * committed. If a batch fails, its items are retried one by one, so one bad item cannot fail its
 * neighbours.
 */
import { sql } from 'drizzle-orm';
import type { Database, Tx } from '../../platform/db/client.js';
import type { DeliveryInsert, Fanout } from '../outbound/fanout.js';

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

export function createInboundStore(
  db: Database,
  fanout: Fanout,
  options: { maxConcurrentBatches?: number } = {},
) {
  const maxConcurrent = options.maxConcurrentBatches ?? (db.mode === 'embedded' ? 1 : 4);
  const queues = new Map<string, Pending[]>();
  const writing = new Set<string>();
  let active = 0;

  /** Writes one tenant's batch; returns which records were stored (false: a duplicate within its window). */
  async function write(tenantId: string, records: InboundRecord[]): Promise<boolean[]> {
    return db.withTenant(tenantId, async (tx: Tx) => {
      const fresh = new Set<string>();
      const seen = new Set<string>();
      let claims: { endpoint_id: string; key: string; window_seconds: number }[] = [];
      for (const record of records) {
        if (!record.dedup) continue;
        const composite = `${record.endpointId}|${record.dedup.key}`;
        // A repeat inside one batch is a duplicate of the first: one row may be upserted once per statement.
        if (seen.has(composite)) continue;
        seen.add(composite);
        claims.push({
          endpoint_id: record.endpointId,
          key: record.dedup.key,
          window_seconds: record.dedup.windowSeconds,
        });
      }
      if (claims.length > 0) {
        // One order for every batch, so batches of other nodes claiming the same keys wait, not deadlock.
        const order = (claim: { endpoint_id: string; key: string }) => `${claim.endpoint_id}|${claim.key}`;
        claims = claims.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
        const result = await tx.execute<{ endpoint_id: string; delivery_key: string }>(sql`
          INSERT INTO webhook_inbound_dedup (tenant_id, endpoint_id, delivery_key, expires_at)
          SELECT ${tenantId}::uuid, v.endpoint_id, v.key, now() + make_interval(secs => v.window_seconds)
          FROM jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) AS v(endpoint_id uuid, key text, window_seconds double precision)
          ON CONFLICT (endpoint_id, delivery_key) DO UPDATE
            SET expires_at = excluded.expires_at, created_at = now()
            WHERE webhook_inbound_dedup.expires_at < now()
          RETURNING endpoint_id, delivery_key`);
        for (const row of result.rows) fresh.add(`${row.endpoint_id}|${row.delivery_key}`);
      }
      const claimed = new Set<string>();
      const stored = records.map((record) => {
        if (!record.dedup) return true;
        const composite = `${record.endpointId}|${record.dedup.key}`;
        if (!fresh.has(composite) || claimed.has(composite)) return false;
        claimed.add(composite);
        return true;
      });
      const kept = records.filter((_, index) => stored[index]);
      if (kept.length > 0) {
        await fanout.enqueue(tx, [
          ...kept.map((record) => record.row),
          ...kept.flatMap((record) => record.deliveries),
        ]);
      }
      return stored;
    });
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
