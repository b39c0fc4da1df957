/**
 * Execution records (api_executions) and the pipeline step runs that belong to them
 * (data_transformations), written off the hot path: calls append to a bounded buffer
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

/** One pipeline step run, for data_transformations; its execution (if any) is recorded with it. */
export interface TransformationRecord {
  tenantId: string;
  executionId: string | null;
  type: string;
  name: string | null;
  input: unknown;
  output: unknown;
  config: unknown;
  error: string | null;
  processingTimeMs: number;
  status: 'success' | 'filtered' | 'failed';
  createdAt: Date;
  scrub?: (text: string) => string;
}

export interface ExecutionLogStats {
  buffered: number;
  written: number;
  dropped: number;
  failedFlushes: number;
  transformationsWritten: number;
  transformationsDropped: number;
}

export interface ExecutionLog {
  newId(): string;
  /** `transformations`: the step runs of this call's pipelines that are to be kept. */
  record(record: ExecutionRecord, transformations?: readonly TransformationRecord[]): void;
  /** Step runs with no execution (an inbound webhook's pipeline). */
  recordTransformations(records: readonly TransformationRecord[]): void;
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

function toTransformationRowJson(record: TransformationRecord): string {
  const row: Record<string, unknown> = {
    id: randomUUID(),
    tenant_id: record.tenantId,
    transformation_type: record.type,
    processing_time: Math.round(record.processingTimeMs),
    status: record.status,
    created_at: record.createdAt.toISOString(),
  };
  if (record.executionId) row.execution_id = record.executionId;
  if (record.name !== null) row.transformer_name = record.name;
  if (record.input !== undefined && record.input !== null) row.input_data = record.input;
  if (record.output !== undefined && record.output !== null) row.output_data = record.output;
  if (record.config !== undefined) row.transformation_config = record.config;
  if (record.error !== null) row.error_message = record.error;
  const text = JSON.stringify(row);
  return record.scrub ? record.scrub(text) : text;
}

const insertInto = (table: string) =>
  `INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`;

/**
 * One table's buffer and its batched writer. Rows reach the database in buffer order; a batch that
 * fails a foreign key (its connection or execution deleted meanwhile) is written row by row, the
 * orphans dropped; a batch the database cannot take goes back to the buffer as far as it fits.
 */
function createTableQueue<T>(
  db: Database,
  table: string,
  toJson: (record: T) => string,
  limits: { maxBuffered: number; batchSize: number },
  /** Called with records once they are in the table. */
  onWritten: (records: T[]) => void = () => {},
) {
  const buffer: T[] = [];
  const stats = { written: 0, dropped: 0, failedFlushes: 0 };
  // One statement, so no transaction around it: one round trip per batch, not three.
  const insert = (records: T[]) => db.pool.query(insertInto(table), [`[${records.map(toJson).join(',')}]`]);

  async function insertSkippingOrphans(batch: T[]): Promise<void> {
    for (const record of batch) {
      try {
        await insert([record]);
        stats.written++;
        onWritten([record]);
      } catch {
        stats.dropped++;
      }
    }
  }

  return {
    buffer,
    stats,
    /** Buffers a record unless the buffer is full (then counts it dropped); true when buffered. */
    add(record: T): boolean {
      if (buffer.length >= limits.maxBuffered) {
        stats.dropped++;
        return false;
      }
      buffer.push(record);
      return true;
    },
    /**
     * Writes full batches, or everything with `all`; false when the database is unavailable. A
     * remainder waits for the next timed flush: under load, writing whatever arrived during the last
     * insert made batches of a few dozen rows, and each statement costs the embedded database about
     * as much as thirty more rows in it (measured: ~90 µs a row in batches of 40, ~60 in 500).
     */
    async drain(all: boolean): Promise<boolean> {
      while (buffer.length >= (all ? 1 : limits.batchSize)) {
        const batch = buffer.splice(0, limits.batchSize);
        try {
          await insert(batch);
          stats.written += batch.length;
          onWritten(batch);
        } catch (error) {
          if (isForeignKeyViolation(error)) {
            await insertSkippingOrphans(batch);
            continue;
          }
          stats.failedFlushes++;
          const room = Math.max(0, limits.maxBuffered - buffer.length);
          buffer.unshift(...batch.slice(0, room));
          stats.dropped += batch.length - Math.min(batch.length, room);
          return false;
        }
      }
      return true;
    },
  };
}

export function createExecutionLog(db: Database, options: ExecutionLogOptions = {}): ExecutionLog {
  const limits = { maxBuffered: options.maxBuffered ?? 50_000, batchSize: options.batchSize ?? 500 };
  const transformations = createTableQueue(db, 'data_transformations', toTransformationRowJson, limits);
  // A call's step runs wait with its execution and follow it once it is written: their rows refer to it.
  const stepsOf = new WeakMap<ExecutionRecord, readonly TransformationRecord[]>();
  const executions = createTableQueue(db, 'api_executions', toRowJson, limits, (written) => {
    for (const record of written) {
      const steps = stepsOf.get(record);
      if (steps) for (const step of steps) transformations.add(step);
    }
  });
  let flushing: Promise<void> | undefined;

  async function writeBatches(all: boolean): Promise<void> {
    if (await executions.drain(all)) await transformations.drain(all);
  }

  /** `all`: the timer and callers; a full buffer writes only full batches. */
  function flush(all = true): Promise<void> {
    flushing ??= writeBatches(all).finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), options.intervalMs ?? 250);
  timer.unref();
  const pending = () => executions.buffer.length + transformations.buffer.length;

  return {
    newId: randomUUID,
    record(record, steps) {
      if (!executions.add(record)) return;
      if (steps?.length) stepsOf.set(record, steps);
      if (executions.buffer.length >= limits.batchSize) void flush(false);
    },
    recordTransformations(steps) {
      for (const step of steps) transformations.add(step);
      if (transformations.buffer.length >= limits.batchSize) void flush(false);
    },
    async flush() {
      await flush();
      if (pending() > 0) await flush();
    },
    stats: () => ({
      buffered: executions.buffer.length,
      ...executions.stats,
      transformationsWritten: transformations.stats.written,
      transformationsDropped: transformations.stats.dropped,
    }),
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
