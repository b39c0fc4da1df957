/**
 * rate_limit_logs, aggregated: one row per (tenant, rule, subject, window) whose requests_count is the
 * number of rejected requests. Rejections are counted in memory and written in batches: every
 * `flushIntervalMs`, when the buffer is full, and on close. Rows are upserted on the window's unique
 * key, so later flushes of the same window (and other nodes' flushes) add to the one row.
 *
 * Bounded: at most `maxEntries` buffered windows; beyond that new windows are dropped and counted in
 * `dropped` (the rejections themselves still happen). A failed write keeps the batch for the next
 * flush, within the same bound. Never on the request path: `record` is a Map update.
 */
import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { rateLimitLogs, rateLimits } from '../platform/db/schema.js';

export interface RejectionRecord {
  tenantId: string;
  /** null for the platform default limit. */
  ruleId: string | null;
  /** Which subject the counter belongs to, e.g. `api_key:<id>`, `connection:<id>`, `tenant`. */
  identifier: string;
  windowStart: number;
  windowEnd: number;
}

interface Entry extends RejectionRecord {
  count: number;
}

export interface RejectionLog {
  record(rejection: RejectionRecord, count?: number): void;
  /** Writes everything buffered; resolves when written (or kept after a failure). */
  flush(): Promise<void>;
  readonly buffered: number;
  readonly dropped: number;
  close(): Promise<void>;
}

export interface RejectionLogOptions {
  flushIntervalMs?: number;
  maxEntries?: number;
  logger?: { warn(obj: object, msg: string): void };
}

export function createRejectionLog(db: Database, options: RejectionLogOptions = {}): RejectionLog {
  const maxEntries = options.maxEntries ?? 10_000;
  let entries = new Map<string, Entry>();
  let dropped = 0;
  let flushing: Promise<void> | null = null;
  let closed = false;

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 5000);
  timer.unref();

  function record(rejection: RejectionRecord, count = 1): void {
    const key = `${rejection.tenantId}|${rejection.ruleId ?? ''}|${rejection.identifier}|${rejection.windowEnd}`;
    const entry = entries.get(key);
    if (entry) {
      entry.count += count;
      return;
    }
    if (entries.size >= maxEntries) {
      dropped += count;
      void flush();
      return;
    }
    entries.set(key, { ...rejection, count });
  }

  function flush(): Promise<void> {
    if (flushing) return flushing.then(() => (entries.size > 0 ? flush() : undefined));
    if (entries.size === 0) return Promise.resolve();
    const batch = entries;
    entries = new Map();
    flushing = write([...batch.values()])
      .catch((error: unknown) => {
        options.logger?.warn(
          { err: error, rows: batch.size },
          'rate_limit_logs write failed; kept for retry',
        );
        if (closed) return;
        for (const [key, entry] of batch) {
          const newer = entries.get(key);
          if (newer) newer.count += entry.count;
          else if (entries.size < maxEntries) entries.set(key, entry);
          else dropped += entry.count;
        }
      })
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  async function write(rows: Entry[]): Promise<void> {
    // Cross-tenant writer (one statement for every tenant's rows), so it runs as the platform; rows
    // of rules deleted since the rejection are dropped instead of failing the batch on the foreign key.
    await db.withPlatform(async (tx) => {
      const ruleIds = [...new Set(rows.flatMap((row) => (row.ruleId ? [row.ruleId] : [])))];
      const existing =
        ruleIds.length === 0
          ? new Set<string>()
          : new Set(
              (
                await tx.select({ id: rateLimits.id }).from(rateLimits).where(inArray(rateLimits.id, ruleIds))
              ).map((row) => row.id),
            );
      const values = rows
        .filter((row) => row.ruleId === null || existing.has(row.ruleId))
        .map((row) => ({
          tenantId: row.tenantId,
          rateLimitId: row.ruleId,
          resourceIdentifier: row.identifier,
          requestsCount: row.count,
          limitExceeded: true,
          resetTime: new Date(row.windowEnd),
          timestamp: new Date(row.windowStart),
        }));
      // 7 parameters a row: chunks stay far below PostgreSQL's 65535 bind parameters.
      for (let start = 0; start < values.length; start += 1000) {
        await tx
          .insert(rateLimitLogs)
          .values(values.slice(start, start + 1000))
          .onConflictDoUpdate({
            target: [
              rateLimitLogs.tenantId,
              rateLimitLogs.rateLimitId,
              rateLimitLogs.resourceIdentifier,
              rateLimitLogs.resetTime,
            ],
            set: { requestsCount: sql`${rateLimitLogs.requestsCount} + excluded.requests_count` },
          });
      }
    });
  }

  return {
    record,
    flush,
    get buffered() {
      return entries.size;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      clearInterval(timer);
      await flush();
      closed = true;
      // A write that failed during close is not retried: the process is going away.
      await flush();
    },
  };
}
