/**
 * Execution records (api_executions), written off the hot path: calls append to a bounded buffer
 * that is flushed in multi-row inserts (every 250 ms or 500 rows). A slow or absent database never
 * makes a caller wait and never grows memory without bound: past `maxBuffered` records are dropped
 * and counted (`stats().dropped`), which monitoring exports as a metric.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../platform/db/client.js';
import { apiExecutions } from '../platform/db/schema.js';

export type ExecutionType = 'api_call' | 'batch' | 'action' | 'proxy';
export type ExecutionStatus = 'success' | 'failed' | 'timeout';

export interface ExecutionRecord {
  id: string;
  tenantId: string;
  connectionId: string;
  endpointId?: string | null;
  executionType: ExecutionType;
  method: string;
  /** Already free of secrets (see redactUrl). */
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: unknown;
  errorMessage: string | null;
  errorDetails?: Record<string, unknown> | null;
  executionTime: number;
  retryCount: number;
  maxRetries: number;
  cached: boolean;
  bytesTransferred: number;
  status: ExecutionStatus;
  triggeredBy: string | null;
  parentExecutionId?: string | null;
  startedAt: Date;
}

export interface ExecutionLogStats {
  buffered: number;
  written: number;
  dropped: number;
  failedFlushes: number;
}

export interface ExecutionLog {
  newId(): string;
  record(record: ExecutionRecord): void;
  /** Writes everything buffered now (tests, shutdown). */
  flush(): Promise<void>;
  stats(): ExecutionLogStats;
  close(): Promise<void>;
}

export interface ExecutionLogOptions {
  maxBuffered?: number;
  batchSize?: number;
  intervalMs?: number;
}

function isForeignKeyViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause ?? error;
  return (cause as { code?: string }).code === '23503';
}

export function createExecutionLog(db: Database, options: ExecutionLogOptions = {}): ExecutionLog {
  const maxBuffered = options.maxBuffered ?? 50_000;
  const batchSize = options.batchSize ?? 500;
  const buffer: ExecutionRecord[] = [];
  const stats = { written: 0, dropped: 0, failedFlushes: 0 };
  let flushing: Promise<void> | undefined;

  const insert = (records: ExecutionRecord[]) =>
    db.withPlatform((tx) =>
      tx.insert(apiExecutions).values(
        records.map((record) => ({
          ...record,
          completedAt: new Date(record.startedAt.getTime() + record.executionTime),
        })),
      ),
    );

  /** A connection deleted since its calls were buffered fails the batch's foreign key: write the rest alone. */
  async function insertSkippingOrphans(batch: ExecutionRecord[]): Promise<void> {
    for (const record of batch) {
      try {
        await insert([record]);
        stats.written++;
      } catch {
        stats.dropped++;
      }
    }
  }

  async function writeBatches(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, batchSize);
      try {
        await insert(batch);
        stats.written += batch.length;
      } catch (error) {
        if (isForeignKeyViolation(error)) {
          await insertSkippingOrphans(batch);
          continue;
        }
        // The database is unavailable: keep what fits for the next flush, count the rest as lost.
        stats.failedFlushes++;
        const room = maxBuffered - buffer.length;
        buffer.unshift(...batch.slice(0, Math.max(0, room)));
        stats.dropped += Math.max(0, batch.length - Math.max(0, room));
        return;
      }
    }
  }

  function flush(): Promise<void> {
    flushing ??= writeBatches().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), options.intervalMs ?? 250);
  timer.unref();

  return {
    newId: randomUUID,
    record(record) {
      if (buffer.length >= maxBuffered) {
        stats.dropped++;
        return;
      }
      buffer.push(record);
      if (buffer.length >= batchSize) void flush();
    },
    async flush() {
      await flush();
      if (buffer.length > 0) await flush();
    },
    stats: () => ({ buffered: buffer.length, ...stats }),
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
