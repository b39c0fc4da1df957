/**
 * The connector shape end to end: catalog with action schemas, connection test, running actions
 * through POST /api/v1/connections/:id/actions/:action against a real local HTTP API, execution
 * records, retries, provider rate limits, timeouts and clear upstream errors.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RestUpstream, startRestUpstream } from './fakes/rest-upstream.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

describeStores('connectors: shape, runner and REST', (store) => {
  let t: TestPlatform;
  let upstream: RestUpstream;
  let connectionId: string;

  const createConnection = async (
    name: string,
    config: Record<string, unknown>,
    auth: { authConfig?: unknown; credentials?: unknown } = {},
  ) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { connectorId: 'rest', name, config, authConfig: { type: 'none' }, ...auth },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run } = connectionCalls(() => t);
  const executions = async (id: string) => {
    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT id, execution_type, status, url, retry_count, response_status, error_message, request_body FROM api_executions WHERE connection_id = $1 ORDER BY started_at',
      [id],
    );
    return rows;
  };

  beforeAll(async () => {
    upstream = await startRestUpstream();
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    connectionId = await createConnection('api', {
      baseUrl: upstream.url,
      testEndpoint: '/health',
      retry: { attempts: 2, delayMs: 10 },
    });
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('lists each connector with its actions and their JSON Schemas', async () => {
    const rest = await call(t.baseUrl, 'GET', '/api/integrations/connectors/rest', { key: t.adminKey });
    expect(rest.status).toBe(200);
    const names = rest.body.actions.map((a: { name: string }) => a.name);
    expect(names).toEqual(expect.arrayContaining(['get', 'list', 'send', 'delete']));
    const send = rest.body.actions.find((a: { name: string }) => a.name === 'send');
    expect(send).toMatchObject({
      classification: 'write',
      idempotent: false,
      input: { type: 'object', required: ['path'] },
    });
    const del = rest.body.actions.find((a: { name: string }) => a.name === 'delete');
    expect(del.classification).toBe('destructive');
  });

  it('tests a connection and stores the outcome', async () => {
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${connectionId}/test`, {
      key: t.adminKey,
    });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const read = await call(t.baseUrl, 'GET', `/api/integrations/connections/${connectionId}`, {
      key: t.adminKey,
    });
    expect(read.body.healthStatus).toBe('healthy');
    expect(read.body.lastTested).toBe(tested.body.testedAt);
    const { rows } = await t.platform.db.pool.query('SELECT test_result FROM connections WHERE id = $1', [
      connectionId,
    ]);
    expect(rows[0].test_result).toMatchObject({ ok: true });

    const broken = await createConnection('broken', { baseUrl: upstream.url, testEndpoint: '/missing' });
    const failed = await call(t.baseUrl, 'POST', `/api/integrations/connections/${broken}/test`, {
      key: t.adminKey,
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
    expect(failed.body.message).toContain('no such thing');
  });

  it("keeps every test outcome as the connection's health history, newest first, paged, tenant-scoped", async () => {
    const flaky = await createConnection('flaky', { baseUrl: upstream.url, testEndpoint: '/health' });
    const test = () =>
      call(t.baseUrl, 'POST', `/api/integrations/connections/${flaky}/test`, { key: t.adminKey });
    expect((await test()).body.ok).toBe(true);
    const patched = await call(t.baseUrl, 'PATCH', `/api/integrations/connections/${flaky}`, {
      key: t.adminKey,
      body: { config: { baseUrl: upstream.url, testEndpoint: '/missing' } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await test()).body.ok).toBe(false);

    const history = await call(t.baseUrl, 'GET', `/api/integrations/connections/${flaky}/health`, {
      key: t.adminKey,
    });
    expect(history.status).toBe(200);
    expect(history.body.items.map((entry: { status: string }) => entry.status)).toEqual([
      'unhealthy',
      'healthy',
    ]);
    expect(history.body.items[0]).toMatchObject({
      kind: 'test',
      message: expect.stringContaining('no such thing'),
    });

    const first = await call(t.baseUrl, 'GET', `/api/integrations/connections/${flaky}/health?limit=1`, {
      key: t.adminKey,
    });
    expect(first.body.items).toHaveLength(1);
    const second = await call(
      t.baseUrl,
      'GET',
      `/api/integrations/connections/${flaky}/health?limit=1&cursor=${first.body.nextCursor}`,
      { key: t.adminKey },
    );
    expect(second.body.items.map((entry: { status: string }) => entry.status)).toEqual(['healthy']);
    expect(second.body.nextCursor).toBeNull();

    const tenant = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Other', slug: 'other-health' },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${tenant.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'o', role: 'viewer' },
    });
    const foreign = await call(t.baseUrl, 'GET', `/api/integrations/connections/${flaky}/health`, {
      key: key.body.key,
    });
    expectProblem(foreign, 404, 'KRX_CONNECTION_NOT_FOUND');
  });

  it('runs an action, answers { status, data, executionId, executionTime } and records the execution', async () => {
    const result = await run(connectionId, 'get', { path: '/health' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'success', data: { status: 200, data: { status: 'up' } } });
    expect(result.body.executionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof result.body.executionTime).toBe('number');
    const rows = await executions(connectionId);
    const row = rows.find((r) => r.id === result.body.executionId);
    expect(row).toMatchObject({
      execution_type: 'action',
      status: 'success',
      url: 'action:rest/get',
      response_status: 200,
    });

    const sent = await run(connectionId, 'send', { path: '/things', body: { name: 'x' } });
    expect(sent.body.data).toMatchObject({ status: 201, data: { id: 'new-1', received: { name: 'x' } } });
    const deleted = await run(connectionId, 'delete', { path: '/things/1' });
    expect(deleted.body.data.status).toBe(204);
  });

  it('validates the input against the action schema and names the field', async () => {
    const bad = await run(connectionId, 'get', { query: { a: 1 } });
    expectProblem(bad, 400, 'KRX_VALIDATION_FAILED');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/input/path' })]),
    );
    expect(JSON.stringify(bad.body.errors)).toContain('path');
    const unknown = await run(connectionId, 'explode', {});
    expectProblem(unknown, 404, 'KRX_ACTION_NOT_FOUND');
    expect(unknown.body.actions).toContain('get');
  });

  it('walks cursor, offset, page, Link header and next-URL pagination', async () => {
    const all = [1, 2, 3, 4, 5, 6, 7];
    const ids = (body: any) => body.data.items.map((i: { id: number }) => i.id);
    const cursor = await run(connectionId, 'list', {
      path: '/cursor',
      itemsPath: 'data',
      pagination: {
        type: 'cursor',
        cursorParam: 'cursor',
        cursorPath: 'meta.next_cursor',
        limitParam: 'limit',
        limit: 3,
      },
    });
    expect(ids(cursor.body)).toEqual(all);
    expect(cursor.body.data.pages).toBe(3);
    const offset = await run(connectionId, 'list', {
      path: '/offset',
      itemsPath: 'results',
      pagination: { type: 'offset', limit: 2 },
    });
    expect(ids(offset.body)).toEqual(all);
    const page = await run(connectionId, 'list', { path: '/pages', pagination: { type: 'page', size: 3 } });
    expect(ids(page.body)).toEqual(all);
    const link = await run(connectionId, 'list', { path: '/linked', pagination: { type: 'link' } });
    expect(ids(link.body)).toEqual(all);
    const next = await run(connectionId, 'list', {
      path: '/next',
      itemsPath: 'value',
      pagination: { type: 'next-url', nextPath: '@odata.nextLink' },
    });
    expect(ids(next.body)).toEqual(all);
    const capped = await run(connectionId, 'list', {
      path: '/linked',
      pagination: { type: 'link' },
      maxPages: 2,
    });
    expect(capped.body.data).toMatchObject({ pages: 2, truncated: true });
    const evil = await run(connectionId, 'list', {
      path: '/evil-next',
      itemsPath: 'value',
      pagination: { type: 'next-url', nextPath: 'next' },
    });
    expectProblem(evil, 422, 'KRX_UPSTREAM_REJECTED');
    expect(evil.body.detail).toContain('another origin');
  });

  it('surfaces an upstream error clearly and records it as failed', async () => {
    const missing = await run(connectionId, 'get', { path: '/missing' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({
      upstreamStatus: 404,
      upstreamError: 'not_found',
      upstreamMessage: 'no such thing',
    });
    expect(missing.body.executionId).toBeDefined();
    const row = (await executions(connectionId)).find((r) => r.id === missing.body.executionId);
    expect(row).toMatchObject({ status: 'failed', response_status: 422 });
    expect(row.error_message).toContain('no such thing');
  });

  it('retries an idempotent action on a retryable status, never a write', async () => {
    const before = upstream.hits['/flaky'] ?? 0;
    const flaky = await run(connectionId, 'get', { path: '/flaky' });
    expect(flaky.status).toBe(200);
    expect(upstream.hits['/flaky'] - before).toBe(2);
    const row = (await executions(connectionId)).find((r) => r.id === flaky.body.executionId);
    expect(row.retry_count).toBe(1);
  });

  it("honours the provider's 429 Retry-After: later calls wait without reaching it", async () => {
    const limited = await createConnection('limited', { baseUrl: upstream.url });
    const first = await run(limited, 'get', { path: '/limited' });
    expectProblem(first, 429, 'KRX_RATE_LIMITED');
    expect(first.headers.get('retry-after')).toBe('30');
    const hits = upstream.hits['/limited'];
    const second = await run(limited, 'get', { path: '/health' });
    expectProblem(second, 429, 'KRX_RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(25);
    expect(upstream.hits['/limited']).toBe(hits);
  });

  it("stops an action at the connection's timeout", async () => {
    const slow = await createConnection('slow', { baseUrl: upstream.url, timeoutMs: 300 });
    const started = Date.now();
    const result = await run(slow, 'get', { path: '/slow' });
    expectProblem(result, 504, 'KRX_UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500);
    const row = (await executions(slow)).at(-1);
    expect(row.status).toBe('timeout');
  });

  it('sends API keys in a header or the query, and keeps them out of records', async () => {
    const header = await createConnection(
      'keyed-header',
      { baseUrl: upstream.url },
      {
        authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
        credentials: { apiKey: 'k-123' },
      },
    );
    expect((await run(header, 'get', { path: '/keyed' })).body.data.data).toEqual({ ok: true });
    const query = await createConnection(
      'keyed-query',
      { baseUrl: upstream.url },
      {
        authConfig: { type: 'api_key', in: 'query', name: 'api_key' },
        credentials: { apiKey: 'k-123' },
      },
    );
    expect((await run(query, 'get', { path: '/keyed' })).body.data.data).toEqual({ ok: true });
    const rows = await executions(query);
    expect(JSON.stringify(rows)).not.toContain('k-123');
    const audit = await t.platform.db.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'connection.credentials.decrypt' AND resource_id = $1",
      [query],
    );
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('refuses a target the SSRF guard forbids', async () => {
    const metadata = await createConnection('metadata', { baseUrl: 'http://169.254.169.254/latest' });
    const result = await run(metadata, 'get', { path: '/meta-data' });
    expectProblem(result, 403, 'KRX_TARGET_FORBIDDEN');
  });

  it("does not run another tenant's connection", async () => {
    const tenant = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Other', slug: 'other-conn' },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${tenant.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'o', role: 'admin' },
    });
    const result = await call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/actions/get`, {
      key: key.body.key,
      body: { path: '/health' },
    });
    expectProblem(result, 404, 'KRX_CONNECTION_NOT_FOUND');
  });
});
