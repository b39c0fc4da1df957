/**
 * The rate-limits admin API end to end, on each database and with Redis counters when REDIS_URL is
 * set: CRUD with validation, pagination and audit, tenant isolation, the limiter picking up changes
 * without a restart, and aggregated rate_limit_logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores, type Store } from './support/stores.js';

const REDIS_URL = process.env.REDIS_URL;
const BASE = '/api/integrations/rate-limits';

function suite(store: Store, env: Record<string, string>) {
  let t: TestPlatform;
  let tenantA: string;
  let tenantB: { id: string; key: string };
  let connectionA: string;

  beforeAll(async () => {
    t = await startTestPlatform(store, env);
    const tenants = await t.platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'");
    tenantA = tenants.rows[0].id;
    const created = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Tenant B', slug: 'tenant-b' },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${created.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'b admin', role: 'admin' },
    });
    tenantB = { id: created.body.id, key: key.body.key };
    const connection = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { connectorId: 'rest', name: 'crm', config: { baseUrl: 'https://api.example.com' } },
    });
    expect(connection.status).toBe(201);
    connectionA = connection.body.id;
  });
  afterAll(async () => t?.close());

  it('uses the configured counter store', () => {
    expect(t.platform.rateLimiter.store).toBe(env.REDIS_URL ? 'redis' : 'memory');
  });

  it('creates, reads, lists, updates and deletes rules, auditing each change', async () => {
    const created = await call(t.baseUrl, 'POST', BASE, {
      key: t.adminKey,
      body: { resourceType: 'tenant', limitType: 'requests_per_minute', limitValue: 100 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      resourceType: 'tenant',
      resourceId: null,
      connectionId: null,
      limitType: 'requests_per_minute',
      limitValue: 100,
      windowSeconds: 60,
      isActive: true,
    });
    const id = created.body.id;
    const custom = await call(t.baseUrl, 'POST', BASE, {
      key: t.adminKey,
      body: {
        resourceType: 'endpoint',
        resourceId: 'search/*',
        limitType: 'requests',
        limitValue: 5,
        windowSeconds: 90,
      },
    });
    expect(custom.status).toBe(201);
    expect(custom.body).toMatchObject({ resourceId: '/search/*', windowSeconds: 90 });

    expect((await call(t.baseUrl, 'GET', `${BASE}/${id}`, { key: t.adminKey })).body).toEqual(created.body);

    const page1 = await call(t.baseUrl, 'GET', `${BASE}?limit=1`, { key: t.adminKey });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call(t.baseUrl, 'GET', `${BASE}?limit=1&cursor=${page1.body.nextCursor}`, {
      key: t.adminKey,
    });
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    const endpoints = await call(t.baseUrl, 'GET', `${BASE}?resourceType=endpoint`, { key: t.adminKey });
    expect(endpoints.body.items.map((r: { id: string }) => r.id)).toEqual([custom.body.id]);

    const updated = await call(t.baseUrl, 'PATCH', `${BASE}/${id}`, {
      key: t.adminKey,
      body: { limitType: 'requests_per_hour', limitValue: 50, isActive: false },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      limitType: 'requests_per_hour',
      windowSeconds: 3600,
      limitValue: 50,
      isActive: false,
    });
    const inactive = await call(t.baseUrl, 'GET', `${BASE}?isActive=false`, { key: t.adminKey });
    expect(inactive.body.items.map((r: { id: string }) => r.id)).toEqual([id]);

    expect((await call(t.baseUrl, 'DELETE', `${BASE}/${id}`, { key: t.adminKey })).status).toBe(204);
    const gone = await call(t.baseUrl, 'GET', `${BASE}/${id}`, { key: t.adminKey });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('KRX_NOT_FOUND');
    await call(t.baseUrl, 'DELETE', `${BASE}/${custom.body.id}`, { key: t.adminKey });

    const audit = await call(t.baseUrl, 'GET', `/api/integrations/audit-log?resourceId=${id}`, {
      key: t.adminKey,
    });
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'rate_limit.create',
      'rate_limit.delete',
      'rate_limit.update',
    ]);
  });

  it('rejects invalid rules with a problem naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ resourceType: 'tenant', limitType: 'requests_per_minute', limitValue: 1, extra: 1 }, ''],
      [{ resourceType: 'planet', limitType: 'requests_per_minute', limitValue: 1 }, '/resourceType'],
      [{ resourceType: 'tenant', limitType: 'requests_per_week', limitValue: 1 }, '/limitType'],
      [{ resourceType: 'tenant', limitType: 'requests_per_minute', limitValue: -1 }, '/limitValue'],
      [{ resourceType: 'tenant', limitType: 'requests', limitValue: 1 }, '/windowSeconds'],
      [
        { resourceType: 'tenant', limitType: 'requests_per_minute', limitValue: 1, windowSeconds: 30 },
        '/windowSeconds',
      ],
      [
        { resourceType: 'tenant', resourceId: 'x', limitType: 'requests_per_minute', limitValue: 1 },
        '/resourceId',
      ],
      [{ resourceType: 'endpoint', limitType: 'requests_per_minute', limitValue: 1 }, '/resourceId'],
      [
        { resourceType: 'api_key', resourceId: 'not-a-key', limitType: 'requests_per_minute', limitValue: 1 },
        '/resourceId',
      ],
      [
        { resourceType: 'connection', connectionId: 'nope', limitType: 'requests_per_minute', limitValue: 1 },
        '/connectionId',
      ],
    ];
    for (const [body, path] of cases) {
      const result = await call(t.baseUrl, 'POST', BASE, { key: t.adminKey, body });
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.headers.get('content-type')).toContain('application/problem+json');
      expect(result.body.code).toBe('KRX_VALIDATION_FAILED');
      if (path) expect(JSON.stringify(result.body.errors)).toContain(path);
    }
    const empty = await call(t.baseUrl, 'PATCH', `${BASE}/00000000-0000-4000-8000-000000000000`, {
      key: t.adminKey,
      body: {},
    });
    expect(empty.status).toBe(400);
  });

  it("keeps tenants apart: another tenant's rule, connection or key is a 404", async () => {
    const rule = await call(t.baseUrl, 'POST', BASE, {
      key: t.adminKey,
      body: {
        resourceType: 'connection',
        resourceId: connectionA,
        limitType: 'requests_per_second',
        limitValue: 10,
      },
    });
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ connectionId: connectionA, resourceId: null });

    for (const [method, body] of [['GET'], ['PATCH', { limitValue: 1 }], ['DELETE']] as const) {
      const result = await call(t.baseUrl, method, `${BASE}/${rule.body.id}`, { key: tenantB.key, body });
      expect(result.status, method).toBe(404);
    }
    const listB = await call(t.baseUrl, 'GET', BASE, { key: tenantB.key });
    expect(listB.body.items).toEqual([]);

    const viaConnection = await call(t.baseUrl, 'POST', BASE, {
      key: tenantB.key,
      body: {
        resourceType: 'tenant',
        connectionId: connectionA,
        limitType: 'requests_per_minute',
        limitValue: 1,
      },
    });
    expect(viaConnection.status).toBe(404);
    expect(viaConnection.body.code).toBe('KRX_CONNECTION_NOT_FOUND');
    expect(JSON.stringify(viaConnection.body)).not.toContain(tenantA);
    const asResource = await call(t.baseUrl, 'POST', BASE, {
      key: tenantB.key,
      body: {
        resourceType: 'connection',
        resourceId: connectionA,
        limitType: 'requests_per_minute',
        limitValue: 1,
      },
    });
    expect(asResource.status).toBe(404);

    const keys = await call(t.baseUrl, 'GET', '/api/integrations/api-keys', { key: t.adminKey });
    const keyOfA = keys.body.items[0].id;
    const keyRule = await call(t.baseUrl, 'POST', BASE, {
      key: tenantB.key,
      body: { resourceType: 'api_key', resourceId: keyOfA, limitType: 'requests_per_minute', limitValue: 1 },
    });
    expect(keyRule.status).toBe(404);
    const ownKey = await call(t.baseUrl, 'POST', BASE, {
      key: t.adminKey,
      body: { resourceType: 'api_key', resourceId: keyOfA, limitType: 'requests_per_minute', limitValue: 1 },
    });
    expect(ownKey.status).toBe(201);

    // Rows of B's rules are never applied to A, nor A's to B.
    const limiter = t.platform.rateLimiter;
    const onA = { tenantId: tenantA, apiKeyId: null, connectionId: connectionA, endpoint: null };
    expect((await limiter.check(onA)).ruleId).toBe(rule.body.id);
    expect(await limiter.check({ ...onA, tenantId: tenantB.id })).toEqual({ allowed: true, headers: {} });

    await call(t.baseUrl, 'DELETE', `${BASE}/${rule.body.id}`, { key: t.adminKey });
    await call(t.baseUrl, 'DELETE', `${BASE}/${ownKey.body.id}`, { key: t.adminKey });
  });

  it('applies changes at once and logs rejections aggregated per rule, subject and window', async () => {
    const limiter = t.platform.rateLimiter;
    const subject = { tenantId: tenantA, apiKeyId: 'caller-1', connectionId: null, endpoint: null };
    const created = await call(t.baseUrl, 'POST', BASE, {
      key: t.adminKey,
      body: { resourceType: 'api_key', limitType: 'requests', windowSeconds: 2_678_400, limitValue: 2 },
    });
    const id = created.body.id;
    expect((await limiter.check(subject)).allowed).toBe(true);
    expect((await limiter.check(subject)).allowed).toBe(true);
    const rejected = await limiter.check(subject);
    expect(rejected).toMatchObject({ allowed: false, ruleId: id, scope: 'api_key' });
    expect(rejected.headers['RateLimit-Policy']).toBe(`"${id}";q=2;w=2678400`);
    expect(rejected.headers['Retry-After']).toMatch(/^\d+$/);
    for (let i = 0; i < 4; i++) await limiter.check(subject);
    await limiter.flushLogs();

    const logs = await call(t.baseUrl, 'GET', `${BASE}/logs?rateLimitId=${id}`, { key: t.adminKey });
    expect(logs.status).toBe(200);
    expect(logs.body.items).toHaveLength(1);
    const row = logs.body.items[0];
    expect(row).toMatchObject({
      rateLimitId: id,
      resourceIdentifier: 'api_key:caller-1',
      requestsCount: 5,
      limitExceeded: true,
    });
    expect(new Date(row.resetTime).getTime() - new Date(row.windowStart).getTime()).toBe(2_678_400_000);
    expect(new Date(row.resetTime).getTime()).toBeGreaterThan(Date.now());

    // A later flush of the same window adds to the same row.
    await limiter.check(subject);
    await limiter.flushLogs();
    const again = await call(t.baseUrl, 'GET', `${BASE}/logs?rateLimitId=${id}`, { key: t.adminKey });
    expect(again.body.items).toHaveLength(1);
    expect(again.body.items[0].requestsCount).toBe(6);
    expect((await call(t.baseUrl, 'GET', `${BASE}/logs`, { key: tenantB.key })).body.items).toEqual([]);

    // Raising the limit takes effect on the next call (cached rules invalidated by the API).
    await call(t.baseUrl, 'PATCH', `${BASE}/${id}`, { key: t.adminKey, body: { limitValue: 3 } });
    const raised = await limiter.check(subject);
    expect(raised.allowed).toBe(true);
    expect(raised.headers.RateLimit).toMatch(new RegExp(`^"${id}";r=0;`));
    await call(t.baseUrl, 'PATCH', `${BASE}/${id}`, { key: t.adminKey, body: { isActive: false } });
    expect((await limiter.check(subject)).ruleId).toBeNull(); // only the platform default is left
    await call(t.baseUrl, 'DELETE', `${BASE}/${id}`, { key: t.adminKey });
  });
}

describeStores('rate limits API', (store) => suite(store, {}));

const describeRedis = REDIS_URL ? describe : describe.skip;
describeRedis(
  `rate limits API [pglite, Redis counters]${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`,
  () => suite('pglite', REDIS_URL ? { REDIS_URL } : {}),
);
