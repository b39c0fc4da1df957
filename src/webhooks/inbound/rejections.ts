/**
 * Rejected inbound requests, counted per endpoint, minute and reason in memory and written every few
 * seconds as one upsert: a flood of bad requests becomes a handful of rows with counts, never a row per
 * request. Keys beyond the bound in one interval are dropped (and counted in the log).
 */
import type { Database } from '../../platform/db/client.js';

export interface Rejection {
  readonly tenantId: string;
  readonly endpointId: string;
  readonly status: number;
  readonly reason: string;
  readonly sample: Record<string, unknown>;
}

const MAX_KEYS = 5_000;

export function createRejectionLog(
  db: Database,
  options: { flushIntervalMs?: number; log?: { warn(o: unknown, m: string): void } } = {},
) {
  let pending = new Map<string, Rejection & { windowStart: string; count: number }>();
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const batch = [...pending.values()];
    pending = new Map();
    if (dropped > 0) {
      options.log?.warn(
        { dropped },
        'inbound webhook rejections dropped: too many distinct reasons in one interval',
      );
      dropped = 0;
    }
    if (batch.length === 0) return;
    const rows = batch.map((r) => ({
      tenant_id: r.tenantId,
      endpoint_id: r.endpointId,
      window_start: r.windowStart,
      status: r.status,
      reason: r.reason,
      count: r.count,
      sample: r.sample,
    }));
    await db.pool.query(
      `INSERT INTO webhook_rejections (tenant_id, endpoint_id, window_start, status, reason, count, sample)
       SELECT v.tenant_id, v.endpoint_id, v.window_start, v.status, v.reason, v.count, v.sample
       FROM jsonb_to_recordset($1::jsonb) AS v(tenant_id uuid, endpoint_id uuid, window_start timestamptz,
         status int, reason text, count int, sample jsonb)
       WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = v.endpoint_id)
       ON CONFLICT (endpoint_id, window_start, reason) DO UPDATE SET count = webhook_rejections.count + excluded.count`,
      [JSON.stringify(rows)],
    );
  }

  function flush(): Promise<void> {
    writing = writing.then(() =>
      write().catch((error) => options.log?.warn({ err: error }, 'writing rejections failed')),
    );
    return writing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 2_000);
  timer.unref();

  return {
    record(rejection: Rejection): void {
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      const reason = rejection.reason.slice(0, 255);
      const key = `${rejection.endpointId}|${minute}|${reason}`;
      const existing = pending.get(key);
      if (existing) {
        existing.count++;
        return;
      }
      if (pending.size >= MAX_KEYS) {
        dropped++;
        return;
      }
      pending.set(key, { ...rejection, reason, windowStart: minute, count: 1 });
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type RejectionLog = ReturnType<typeof createRejectionLog>;
