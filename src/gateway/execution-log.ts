/**
 * Execution records (api_executions), written off the hot path: calls append to a bounded buffer
 * that is flushed in multi-row inserts (every 250 ms or 500 rows). A batch travels as ONE JSON
 * parameter expanded by `json_populate_recordset`: serialising it is one JSON.stringify per row, where
 * a query builder's per-value parameters cost several times the gateway call itself (measured with
 * bench:gateway). Secret scrubbing happens here too, once per serialised row, not on the hot path. A slow or absent database never
 * makes a caller wait and never grows memory without bound: past `maxBuffered` records are dropped
 * and counted (`stats().dropped`), which monitoring exports as a metric.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../platform/db/client.js';
import { isForeignKeyViolation } from '../platform/db/pg-errors.js';

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
  /** Masks the connection's credentials in the serialised row. */
  scrub?: (text: string) => string;
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

/**
 * One record as the JSON object of its api_executions row (snake_case). Null columns are left out
 * (json_populate_recordset reads a missing key as NULL): every byte is serialised, sent and parsed
 * again by the database, and nulls were a seventh of a proxied call's record.
 */
function toRowJson(record: ExecutionRecord): string {
  const startedAt = record.startedAt.toISOString();
  const row: Record<string, unknown> = {
    id: record.id,
    tenant_id: record.tenantId,
    connection_id: record.connectionId,
    execution_type: record.executionType,
    method: record.method,
    url: record.url,
    request_headers: record.requestHeaders,
    execution_time: record.executionTime,
    retry_count: record.retryCount,
    max_retries: record.maxRetries,
    cached: record.cached,
    bytes_transferred: record.bytesTransferred,
    status: record.status,
    started_at: startedAt,
    completed_at: new Date(record.startedAt.getTime() + record.executionTime).toISOString(),
    created_at: startedAt,
  };
  if (record.endpointId) row.endpoint_id = record.endpointId;
  if (record.requestBody !== undefined && record.requestBody !== null) row.request_body = record.requestBody;
  if (record.responseStatus !== null) row.response_status = record.responseStatus;
  if (record.responseHeaders) row.response_headers = record.responseHeaders;
  if (record.responseBody !== undefined && record.responseBody !== null)
    row.response_body = record.responseBody;
  if (record.errorMessage !== null) row.error_message = record.errorMessage;
  if (record.errorDetails) row.error_details = record.errorDetails;
  if (record.triggeredBy !== null) row.triggered_by = record.triggeredBy;
  if (record.parentExecutionId) row.parent_execution_id = record.parentExecutionId;
  const text = JSON.stringify(row);
  return record.scrub ? record.scrub(text) : text;
}

export function createExecutionLog(db: Database, options: ExecutionLogOptions = {}): ExecutionLog {
  const maxBuffered = options.maxBuffered ?? 50_000;
  const batchSize = options.batchSize ?? 500;
  const buffer: ExecutionRecord[] = [];
  const stats = { written: 0, dropped: 0, failedFlushes: 0 };
  let flushing: Promise<void> | undefined;

  // One statement, so no transaction around it: one round trip per batch, not three.
  const insert = (records: ExecutionRecord[]) =>
    db.pool.query(
      'INSERT INTO api_executions SELECT * FROM json_populate_recordset(NULL::api_executions, $1::json)',
      [`[${records.map(toRowJson).join(',')}]`],
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
