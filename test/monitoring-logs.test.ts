import { afterAll, beforeAll, expect, it } from 'vitest';
import { redactUrl } from '../src/platform/logging.js';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { createRestConnection, execute, openStream } from './monitoring-kit.js';
import { call, createTenant, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('monitoring: execution log and live stream', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let connectionId: string;
  let other: string;
  let tenantB: { id: string; key: string };

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
    });
    connectionId = await createRestConnection(t, t.adminKey, `${upstream.url}/base`, 'logs-main');
    other = await createRestConnection(t, t.adminKey, `${upstream.url}/base`, 'logs-other');
    tenantB = await createTenant(t, 'logs-tenant-b');
    expect((await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/echo/a' })).status).toBe(
      200,
    );
    await execute(t, t.adminKey, connectionId, { method: 'POST', endpoint: '/status/500', data: { x: 1 } });
    await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/echo/needle_here' });
    await execute(t, t.adminKey, other, { method: 'DELETE', endpoint: '/echo/z' });
    await t.platform.executionLog.flush();
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  const list = (query: string, key = t.adminKey) =>
    call(t.baseUrl, 'GET', `/api/integrations/executions${query}`, { key });

  it('lists executions newest first and filters by connection, status, method and text', async () => {
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(4);
    expect(all.body.items[0]).toMatchObject({
      connectionId: other,
      method: 'DELETE',
      connectionName: 'logs-other',
    });

    const mine = await list(`?connectionId=${connectionId}`);
    expect(mine.body.items).toHaveLength(3);

    const failed = await list('?status=failed');
    expect(failed.body.items).toHaveLength(1);
    expect(failed.body.items[0]).toMatchObject({
      responseStatus: 500,
      method: 'POST',
      errorMessage: 'upstream answered 500',
    });

    expect((await list('?method=delete')).body.items).toHaveLength(1);
    // Text search in the URL; `_` is a literal character, not a wildcard.
    const needle = await list('?q=NEEDLE_HERE');
    expect(needle.body.items).toHaveLength(1);
    expect((await list('?q=needle%25here')).body.items).toHaveLength(0);
    expect((await list('?q=answered%20500')).body.items).toHaveLength(1);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`?from=${encodeURIComponent(future)}`)).body.items).toHaveLength(0);
    expect((await list('?status=nope')).status).toBe(400);
  });

  it('paginates with a cursor without repeating or skipping', async () => {
    const first = await list('?limit=3');
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(4);
  });

  it('opens one execution with its redacted request and response', async () => {
    const failed = (await list('?status=failed')).body.items[0];
    const detail = await call(t.baseUrl, 'GET', `/api/integrations/executions/${failed.id}`, {
      key: t.adminKey,
    });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: failed.id, requestBody: { x: 1 }, responseStatus: 500 });
    expect(detail.body.responseBody).toEqual({ error: 'as requested' });
    expect(detail.body.requestHeaders['x-upstream-key']).toBe('[redacted]');
    expect(JSON.stringify(detail.body)).not.toContain('upstream-secret-abcdef123456');
  });

  it("never shows another tenant's executions", async () => {
    expect((await list('', tenantB.key)).body.items).toHaveLength(0);
    const id = (await list('')).body.items[0].id;
    expect(
      (await call(t.baseUrl, 'GET', `/api/integrations/executions/${id}`, { key: tenantB.key })).status,
    ).toBe(404);
  });

  it('streams executions of the caller tenant only, with the key in ?access_token=', async () => {
    const stream = await openStream(`${t.baseUrl}/api/integrations/stream?access_token=${t.adminKey}`);
    const streamB = await openStream(`${t.baseUrl}/api/integrations/stream`, {
      authorization: `Bearer ${tenantB.key}`,
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      await stream.next('ready');
      await streamB.next('ready');
      const result = await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/status/503' });
      const event = await stream.next('execution', (data) => data.executionId === result.body.executionId);
      expect(event.data).toMatchObject({
        connectionId,
        executionType: 'api_call',
        status: 'failed',
        statusCode: 503,
        durationMs: expect.any(Number),
        time: expect.any(String),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(streamB.events.filter((e) => e.event === 'execution')).toHaveLength(0);
    } finally {
      stream.close();
      streamB.close();
    }
  });

  it('filters stream events by type and refuses a missing or wrong key', async () => {
    const alertsOnly = await openStream(
      `${t.baseUrl}/api/integrations/stream?types=alert&access_token=${t.adminKey}`,
    );
    try {
      await alertsOnly.next('ready');
      await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/echo/x' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(alertsOnly.events.map((e) => e.event)).toEqual(['ready']);
    } finally {
      alertsOnly.close();
    }
    expect((await fetch(`${t.baseUrl}/api/integrations/stream`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/api/integrations/stream?access_token=krx_nope`)).status).toBe(401);
    expect(
      (await fetch(`${t.baseUrl}/api/integrations/stream?types=bogus&access_token=${t.adminKey}`)).status,
    ).toBe(400);
    // The owner belongs to no tenant: nothing to stream.
    expect((await fetch(`${t.baseUrl}/api/integrations/stream?access_token=${t.ownerKey}`)).status).toBe(403);
  });

  it('leaves a stream open: closing the platform must end it rather than wait for it', async () => {
    const lingering = await openStream(`${t.baseUrl}/api/integrations/stream?access_token=${t.adminKey}`);
    await lingering.next('ready');
    expect(t.platform.monitoring.stream.size).toBeGreaterThan(0);
  });

  it('masks ?access_token= in logged URLs', () => {
    expect(redactUrl('/api/integrations/stream?access_token=krx_secret&types=alert')).toBe(
      '/api/integrations/stream?access_token=%5Bredacted%5D&types=alert',
    );
  });
});
