import { describe, expect, it } from 'vitest';
import type { Database } from '../platform/db/client.js';
import { createExecutionLog, type ExecutionRecord, type TransformationRecord } from './execution-log.js';

/** A database that keeps what is inserted, per table, and can be made to fail. */
function fakeDatabase() {
  const tables: Record<string, Array<Record<string, unknown>>> = {
    api_executions: [],
    data_transformations: [],
  };
  const statements: Array<{ table: string; rows: number }> = [];
  const state = { down: false, missingExecutions: new Set<string>() };
  const db = {
    pool: {
      async query(sql: string, [json]: [string]) {
        const table = /INSERT INTO (\w+)/.exec(sql)![1];
        if (state.down) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        const rows = JSON.parse(json) as Array<Record<string, unknown>>;
        const orphan = rows.some(
          (row) =>
            state.missingExecutions.has(row.connection_id as string) ||
            (table === 'data_transformations' &&
              row.execution_id !== undefined &&
              !tables.api_executions.some((execution) => execution.id === row.execution_id)),
        );
        if (orphan) throw Object.assign(new Error('foreign key'), { code: '23503' });
        statements.push({ table, rows: rows.length });
        tables[table].push(...rows);
        return { rows: [] };
      },
    },
  } as unknown as Database;
  return { db, tables, statements, state };
}

let next = 0;
function execution(connectionId = 'c1'): ExecutionRecord {
  next++;
  return {
    id: `e${next}`,
    tenantId: 't',
    connectionId,
    executionType: 'proxy',
    method: 'GET',
    url: 'http://upstream/x',
    requestHeaders: {},
    requestBody: null,
    responseStatus: 200,
    responseHeaders: null,
    responseBody: null,
    errorMessage: null,
    executionTime: 3,
    retryCount: 0,
    maxRetries: 3,
    cached: false,
    bytesTransferred: 10,
    status: 'success',
    triggeredBy: 'proxy',
    startedAt: new Date(),
  };
}

function step(executionId: string | null): TransformationRecord {
  return {
    tenantId: 't',
    executionId,
    type: 'map',
    name: 'm',
    input: { a: 1 },
    output: { b: 1 },
    config: { type: 'map', expression: '{"b": a}' },
    error: null,
    processingTimeMs: 0.2,
    status: 'success',
    createdAt: new Date(),
  };
}

const quiet = { intervalMs: 60_000 }; // no timed flush during a test

describe('execution log', () => {
  it('writes full batches as the buffer fills and the remainder on flush, in order', async () => {
    const { db, tables, statements } = fakeDatabase();
    const log = createExecutionLog(db, { ...quiet, batchSize: 100 });
    const records = Array.from({ length: 250 }, () => execution());
    for (const record of records) log.record(record);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Only full batches while calls keep coming: no trickle of small statements.
    expect(statements.map((s) => s.rows).every((rows) => rows === 100)).toBe(true);
    await log.close();
    expect(tables.api_executions.map((row) => row.id)).toEqual(records.map((record) => record.id));
    expect(log.stats()).toMatchObject({ buffered: 0, written: 250, dropped: 0 });
  });

  it('bounds the buffer while the database is down, counts what it drops, and writes the rest later', async () => {
    const { db, tables, state } = fakeDatabase();
    const log = createExecutionLog(db, { ...quiet, batchSize: 10, maxBuffered: 50 });
    state.down = true;
    for (let i = 0; i < 80; i++) log.record(execution());
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 50, written: 0, dropped: 30 });
    expect(log.stats().failedFlushes).toBeGreaterThan(0);
    state.down = false;
    await log.close();
    expect(tables.api_executions).toHaveLength(50);
    expect(log.stats()).toMatchObject({ buffered: 0, written: 50, dropped: 30 });
  });

  it('drops only the rows of a deleted connection when a batch fails its foreign key', async () => {
    const { db, tables, state } = fakeDatabase();
    state.missingExecutions.add('gone');
    const log = createExecutionLog(db, quiet);
    log.record(execution('c1'));
    log.record(execution('gone'));
    log.record(execution('c1'));
    await log.close();
    expect(tables.api_executions.map((row) => row.connection_id)).toEqual(['c1', 'c1']);
    expect(log.stats()).toMatchObject({ written: 2, dropped: 1 });
  });

  it("writes a call's step runs after its execution row, and none for a call it had to drop", async () => {
    const { db, tables, statements } = fakeDatabase();
    const log = createExecutionLog(db, { ...quiet, maxBuffered: 2 });
    const kept = execution();
    log.record(kept, [step(kept.id), step(kept.id)]);
    log.record(execution());
    const dropped = execution();
    log.record(dropped, [step(dropped.id)]); // the buffer holds two: dropped with its step
    await log.flush();
    log.recordTransformations([step(null)]); // an inbound webhook's: no execution to wait for
    await log.close();
    expect(statements.map((s) => s.table)).toEqual([
      'api_executions',
      'data_transformations',
      'data_transformations',
    ]);
    expect(tables.data_transformations.map((row) => row.execution_id)).toEqual([kept.id, kept.id, undefined]);
    expect(log.stats()).toMatchObject({ written: 2, dropped: 1, transformationsWritten: 3 });
  });
});
