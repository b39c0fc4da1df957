/**
 * Cache policies and purge through the management API, on PGlite and PostgreSQL (and with the
 * Redis cache when REDIS_URL is set), and the response cache they drive.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeUpstream } from './cache-kit.js';
import { type CallResult, call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const REDIS_URL = process.env.REDIS_URL;

function expectProblem(result: CallResult, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  expect(result.body.code).toBe(code);
}

describeStores(`cache policies API${REDIS_URL ? ' (Redis cache)' : ''}`, (store) => {
  let t: TestPlatform;
  let tenantA: string;
  let tenantB: { id: string; key: string };
  let connA: string;
  let connA2: string;
  let connB: string;

  async function connection(key: string, name: string): Promise<string> {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key,
      body: { connectorId: 'rest', name, config: { baseUrl: 'https://api.example.com/v1' } },
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  const policies = '/api/integrations/cache-policies';

  beforeAll(async () => {
    t = await startTestPlatform(store, { API_CACHE_TTL: '120', ...(REDIS_URL ? { REDIS_URL } : {}) });
    const tenant = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Cache B', slug: 'cache-b' },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${tenant.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'b admin', role: 'admin' },
    });
    tenantB = { id: tenant.body.id, key: key.body.key };
    connA = await connection(t.adminKey, 'cache-a');
    connA2 = await connection(t.adminKey, 'cache-a2');
    connB = await connection(tenantB.key, 'cache-b');
    const me = await t.platform.db.pool.query('SELECT id FROM connections WHERE id = $1', [connA]);
    expect(me.rows).toHaveLength(1);
    const owner = await t.platform.db.pool.query('SELECT tenant_id FROM connections WHERE id = $1', [connA]);
    tenantA = owner.rows[0].tenant_id;
  });
  afterAll(async () => t?.close());

  it('creates, reads, lists with filters and pages, updates and deletes a policy, audited', async () => {
    const created = await call(t.baseUrl, 'POST', policies, {
      key: t.adminKey,
      body: {
        connectionId: connA,
        endpointPattern: '/users/*',
        cacheStrategy: 'etag',
        cacheConditions: { statusCodes: [200, 404], methods: ['GET'], maxBodyBytes: 65536 },
        invalidationEvents: ['webhook.received', 'api.call.*'],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      connectionId: connA,
      endpointPattern: '/users/*',
      cacheStrategy: 'etag',
      ttlSeconds: 120, // API_CACHE_TTL
      cacheConditions: { statusCodes: [200, 404], methods: ['GET'], maxBodyBytes: 65536 },
      invalidationEvents: ['webhook.received', 'api.call.*'],
      isActive: true,
    });
    const id = created.body.id;

    const read = await call(t.baseUrl, 'GET', `${policies}/${id}`, { key: t.adminKey });
    expect(read.body).toEqual(created.body);

    const second = await call(t.baseUrl, 'POST', policies, {
      key: t.adminKey,
      body: { connectionId: connA2, ttlSeconds: 30, isActive: false },
    });
    expect(second.body).toMatchObject({ endpointPattern: null, cacheStrategy: 'time_based', ttlSeconds: 30 });

    const page1 = await call(t.baseUrl, 'GET', `${policies}?limit=1`, { key: t.adminKey });
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call(t.baseUrl, 'GET', `${policies}?limit=1&cursor=${page1.body.nextCursor}`, {
      key: t.adminKey,
    });
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);

    const byConnection = await call(t.baseUrl, 'GET', `${policies}?connectionId=${connA2}`, {
      key: t.adminKey,
    });
    expect(byConnection.body.items.map((p: { id: string }) => p.id)).toEqual([second.body.id]);
    const active = await call(t.baseUrl, 'GET', `${policies}?isActive=true&cacheStrategy=etag`, {
      key: t.adminKey,
    });
    expect(active.body.items.map((p: { id: string }) => p.id)).toEqual([id]);

    const patched = await call(t.baseUrl, 'PATCH', `${policies}/${id}`, {
      key: t.adminKey,
      body: { ttlSeconds: 10, invalidationEvents: null, endpointPattern: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ ttlSeconds: 10, invalidationEvents: [], endpointPattern: null });

    expect((await call(t.baseUrl, 'DELETE', `${policies}/${id}`, { key: t.adminKey })).status).toBe(204);
    expectProblem(
      await call(t.baseUrl, 'GET', `${policies}/${id}`, { key: t.adminKey }),
      404,
      'KRX_NOT_FOUND',
    );
    await call(t.baseUrl, 'DELETE', `${policies}/${second.body.id}`, { key: t.adminKey });

    const log = await call(t.baseUrl, 'GET', `/api/integrations/audit-log?resourceId=${id}`, {
      key: t.adminKey,
    });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'cache_policy.delete',
      'cache_policy.update',
      'cache_policy.create',
    ]);
  });

  it('rejects bad input with a problem naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ connectionId: connA, cacheStrategy: 'forever' }, '/body/cacheStrategy'],
      [{ connectionId: connA, ttlSeconds: 0 }, '/body/ttlSeconds'],
      [{ connectionId: connA, cacheConditions: { methods: ['POST'] } }, '/body/cacheConditions/methods/0'],
      [
        { connectionId: connA, cacheConditions: { statusCodes: [99] } },
        '/body/cacheConditions/statusCodes/0',
      ],
      [{ connectionId: connA, invalidationEvents: ['Not An Event'] }, '/body/invalidationEvents/0'],
      [{ connectionId: connA, color: 'blue' }, ''],
      [{ endpointPattern: '/x' }, ''],
      [{ connectionId: 'not-a-uuid' }, '/body/connectionId'],
    ];
    for (const [body, path] of cases) {
      const result = await call(t.baseUrl, 'POST', policies, { key: t.adminKey, body });
      expectProblem(result, 400, 'KRX_VALIDATION_FAILED');
      if (path) expect(result.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expectProblem(
      await call(t.baseUrl, 'PATCH', `${policies}/00000000-0000-4000-8000-000000000000`, {
        key: t.adminKey,
        body: {},
      }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    const noConnection = await call(t.baseUrl, 'DELETE', '/api/integrations/cache', { key: t.adminKey });
    expectProblem(noConnection, 400, 'KRX_VALIDATION_FAILED');
    expect(noConnection.body.errors[0].path).toBe('/query/connectionId');
  });

  it("keeps tenants apart: B neither sees nor touches A's policies, connections or cache", async () => {
    const a = await call(t.baseUrl, 'POST', policies, { key: t.adminKey, body: { connectionId: connA } });
    const id = a.body.id;
    expect((await call(t.baseUrl, 'GET', policies, { key: tenantB.key })).body.items).toEqual([]);
    expectProblem(
      await call(t.baseUrl, 'GET', `${policies}/${id}`, { key: tenantB.key }),
      404,
      'KRX_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'PATCH', `${policies}/${id}`, { key: tenantB.key, body: { ttlSeconds: 1 } }),
      404,
      'KRX_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'DELETE', `${policies}/${id}`, { key: tenantB.key }),
      404,
      'KRX_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'POST', policies, { key: tenantB.key, body: { connectionId: connA } }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    const own = await call(t.baseUrl, 'POST', policies, { key: tenantB.key, body: { connectionId: connB } });
    expect(own.status).toBe(201);
    expectProblem(
      await call(t.baseUrl, 'PATCH', `${policies}/${own.body.id}`, {
        key: tenantB.key,
        body: { connectionId: connA },
      }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'DELETE', `/api/integrations/cache?connectionId=${connA}`, { key: tenantB.key }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    expect((await call(t.baseUrl, 'GET', `${policies}/${id}`, { key: t.adminKey })).status).toBe(200);
    await call(t.baseUrl, 'DELETE', `${policies}/${id}`, { key: t.adminKey });
    await call(t.baseUrl, 'DELETE', `${policies}/${own.body.id}`, { key: tenantB.key });
  });

  it('drives the response cache: policies apply at once, purge by pattern or connection empties it', async () => {
    const cache = t.platform.responseCache;
    const up = fakeUpstream(() => ({ headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
    const get = (path: string, tenantId = tenantA, connectionId = connA) =>
      cache.fetch(
        {
          tenantId,
          connectionId,
          method: 'GET',
          url: `https://api.example.com/v1${path}`,
          path,
          headers: {},
        },
        up,
      );

    expect((await get('/users/1')).cacheStatus).toBe('BYPASS');
    const created = await call(t.baseUrl, 'POST', policies, {
      key: t.adminKey,
      body: { connectionId: connA, endpointPattern: '/users/*' },
    });
    expect((await get('/users/1')).cacheStatus).toBe('MISS');
    expect((await get('/users/1')).cacheStatus).toBe('HIT');
    expect((await get('/users/2')).cacheStatus).toBe('MISS');
    expect((await get('/orders/1')).cacheStatus).toBe('BYPASS');
    // Same connection id and URL under tenant B: no policy there, and never A's entry.
    expect((await get('/users/1', tenantB.id)).cacheStatus).toBe('BYPASS');

    const byPattern = await call(
      t.baseUrl,
      'DELETE',
      `/api/integrations/cache?connectionId=${connA}&pattern=${encodeURIComponent('/users/1')}`,
      { key: t.adminKey },
    );
    expect(byPattern.status).toBe(200);
    expect(byPattern.body).toEqual({ purged: 1 });
    expect((await get('/users/2')).cacheStatus).toBe('HIT');
    expect((await get('/users/1')).cacheStatus).toBe('MISS');

    const all = await call(t.baseUrl, 'DELETE', '/api/integrations/cache', {
      key: t.adminKey,
      body: { connectionId: connA },
    });
    expect(all.body).toEqual({ purged: 2 });
    expect((await get('/users/2')).cacheStatus).toBe('MISS');

    const log = await call(t.baseUrl, 'GET', `/api/integrations/audit-log?action=cache.purge`, {
      key: t.adminKey,
    });
    expect(log.body.items[0]).toMatchObject({ resourceId: connA, details: { pattern: null, purged: 2 } });

    // Deactivating the policy takes effect on the next call.
    await call(t.baseUrl, 'PATCH', `${policies}/${created.body.id}`, {
      key: t.adminKey,
      body: { isActive: false },
    });
    expect((await get('/users/2')).cacheStatus).toBe('BYPASS');
    await call(t.baseUrl, 'PATCH', `${policies}/${created.body.id}`, {
      key: t.adminKey,
      body: { isActive: true },
    });
    expect((await get('/users/2')).cacheStatus).toBe('HIT');

    // Updating the connection (its credentials, its base URL) purges its entries.
    await call(t.baseUrl, 'PATCH', `/api/integrations/connections/${connA}`, {
      key: t.adminKey,
      body: { description: 'changed' },
    });
    let status = 'HIT';
    for (let i = 0; i < 50 && status === 'HIT'; i++) {
      status = (await get('/users/2')).cacheStatus;
      if (status === 'HIT') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe('MISS');
  });
});
