/**
 * The admin API's input contract: unknown query and body members are refused naming the member,
 * every list pages with limit + cursor, catalog filters ignore case, credential errors name the
 * field, connection endpoints are a tenant's own, and viewers cannot change anything.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type CallResult,
  call,
  restConnection,
  startTestPlatform,
  type TestPlatform,
} from './support/platform.js';
import { describeStores } from './support/stores.js';

const ADMIN = '/api/integrations';

function expectProblem(result: CallResult, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  expect(result.body.code).toBe(code);
}

describeStores('admin API contract', (store) => {
  let t: TestPlatform;
  let tenantB: { id: string; key: string };
  let viewerKey: string;
  let connectionId: string;
  let alertEventId: string;

  /** Pages through `path` `limit` at a time; returns every item in order. */
  async function pageAll(path: string, key: string, limit: number): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    const separator = path.includes('?') ? '&' : '?';
    for (let pages = 0; pages < 100; pages++) {
      const page: CallResult = await call(
        t.baseUrl,
        'GET',
        `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error(`${path} did not end`);
  }

  beforeAll(async () => {
    t = await startTestPlatform(store);
    const created = await call(t.baseUrl, 'POST', `${ADMIN}/tenants`, {
      key: t.ownerKey,
      body: { name: 'Tenant B', slug: 'tenant-b' },
    });
    expect(created.status).toBe(201);
    const key = await call(t.baseUrl, 'POST', `${ADMIN}/tenants/${created.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'b admin', role: 'admin' },
    });
    tenantB = { id: created.body.id, key: key.body.key };
    const viewer = await call(t.baseUrl, 'POST', `${ADMIN}/api-keys`, {
      key: t.adminKey,
      body: { name: 'viewer', role: 'viewer' },
    });
    viewerKey = viewer.body.key;
    const connection = await call(t.baseUrl, 'POST', `${ADMIN}/connections`, {
      key: t.adminKey,
      body: restConnection('contract'),
    });
    expect(connection.status).toBe(201);
    connectionId = connection.body.id;
    const rule = await t.platform.db.pool.query(
      `INSERT INTO integration_alerts (tenant_id, alert_type, alert_name, conditions, created_by)
       SELECT tenant_id, 'error_rate', 'contract', '{}', 'test' FROM connections WHERE id = $1 RETURNING id, tenant_id`,
      [connectionId],
    );
    const event = await t.platform.db.pool.query(
      `INSERT INTO alert_events (tenant_id, alert_id, severity, message) VALUES ($1, $2, 'warning', 'x') RETURNING id`,
      [rule.rows[0].tenant_id, rule.rows[0].id],
    );
    alertEventId = event.rows[0].id;
  });
  afterAll(async () => t?.close());

  it('refuses an unknown query member with a 400 naming it, on routes with and without query filters', async () => {
    const routes = [
      { path: `${ADMIN}/connectors`, key: () => t.adminKey },
      { path: `${ADMIN}/connectors/rest`, key: () => t.adminKey },
      { path: `${ADMIN}/connections`, key: () => t.adminKey },
      { path: `${ADMIN}/connections/${connectionId}`, key: () => t.adminKey },
      { path: `${ADMIN}/connections/${connectionId}/endpoints`, key: () => t.adminKey },
      { path: `${ADMIN}/api-keys`, key: () => t.adminKey },
      { path: `${ADMIN}/tenants`, key: () => t.ownerKey },
      { path: `${ADMIN}/tenants/${tenantB.id}`, key: () => t.ownerKey },
      { path: `${ADMIN}/audit-log`, key: () => t.adminKey },
      { path: `${ADMIN}/me`, key: () => t.adminKey },
      { path: `${ADMIN}/alerts/events`, key: () => t.adminKey },
    ];
    for (const { path, key } of routes) {
      const answer = await call(t.baseUrl, 'GET', `${path}?foo=1`, { key: key() });
      expectProblem(answer, 400, 'KRX_VALIDATION_FAILED');
      expect(answer.body.errors, path).toContainEqual({
        path: '/querystring/foo',
        message: 'is not a known field',
      });
    }
  });

  it('refuses an unknown query member on every admin GET route without path parameters', async () => {
    const openapi = await call(t.baseUrl, 'GET', '/openapi.json');
    const loose: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, any>>(openapi.body.paths)) {
      if (!path.startsWith(ADMIN)) continue;
      for (const method of Object.keys(operations)) {
        if (method !== 'get' || path.includes('{')) continue;
        const answer = await call(t.baseUrl, 'GET', `${path}?zz_unknown=1`, {
          key: /^\/api\/integrations\/(tenants|platform)\b/.test(path) ? t.ownerKey : t.adminKey,
        });
        if (answer.status !== 400 || !JSON.stringify(answer.body).includes('/querystring/zz_unknown'))
          loose.push(`${method.toUpperCase()} ${path} -> ${answer.status}`);
      }
    }
    expect(loose).toEqual([]);
  });

  it('refuses unknown body members on routes that take no body', async () => {
    const routes = [
      `${ADMIN}/connections/${connectionId}/test`,
      `${ADMIN}/alerts/events/${alertEventId}/acknowledge`,
      `${ADMIN}/alerts/events/${alertEventId}/resolve`,
    ];
    for (const path of routes) {
      const answer = await call(t.baseUrl, 'POST', path, { key: t.adminKey, body: { bogus: 1 } });
      expectProblem(answer, 400, 'KRX_VALIDATION_FAILED');
      expect(answer.body.errors, path).toContainEqual({
        path: '/body/bogus',
        message: 'is not a known field',
      });
    }
    // Without a body, or with an empty object, they still work.
    const acknowledged = await call(t.baseUrl, 'POST', routes[1], { key: t.adminKey });
    expect(acknowledged.status, JSON.stringify(acknowledged.body)).toBe(200);
    const resolved = await call(t.baseUrl, 'POST', routes[2], { key: t.adminKey, body: {} });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
  });

  it('pages the connector catalog, keeping its filters', async () => {
    const whole = await call(t.baseUrl, 'GET', `${ADMIN}/connectors?limit=200`, { key: t.adminKey });
    expect(whole.status).toBe(200);
    expect(whole.body.nextCursor).toBeNull();
    const names = whole.body.items.map((c: { id: string }) => c.id);
    expect(names.length).toBeGreaterThan(3);
    const paged = await pageAll(`${ADMIN}/connectors`, t.adminKey, 2);
    expect(paged.map((c) => c.id)).toEqual(names);
    expect(names).toEqual([...names].sort());
    const rest = await pageAll(`${ADMIN}/connectors?type=rest`, t.adminKey, 1);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((c) => c.type === 'rest')).toBe(true);
    expectProblem(
      await call(t.baseUrl, 'GET', `${ADMIN}/connectors?cursor=bm9wZQ`, { key: t.adminKey }),
      400,
      'KRX_VALIDATION_FAILED',
    );
  });

  it('filters the catalog by type, category and provider regardless of case', async () => {
    const all = (await call(t.baseUrl, 'GET', `${ADMIN}/connectors?limit=200`, { key: t.adminKey })).body
      .items as Array<{ id: string; type: string; category: string; provider: string | null }>;
    const sample = all.find((c) => c.provider && /[A-Z]/.test(c.provider));
    expect(sample, 'a connector whose provider has capitals').toBeDefined();
    const cases = [
      { filter: 'type', value: 'rest', matches: (c: (typeof all)[number]) => c.type === 'rest' },
      {
        filter: 'category',
        value: sample!.category,
        matches: (c: (typeof all)[number]) => c.category === sample!.category,
      },
      {
        filter: 'provider',
        value: sample!.provider!,
        matches: (c: (typeof all)[number]) => c.provider === sample!.provider,
      },
    ];
    for (const { filter, value, matches } of cases) {
      const expected = all.filter(matches).map((c) => c.id);
      expect(expected.length, filter).toBeGreaterThan(0);
      for (const spelled of [value, value.toLowerCase(), value.toUpperCase()]) {
        const answer = await call(
          t.baseUrl,
          'GET',
          `${ADMIN}/connectors?limit=200&${filter}=${encodeURIComponent(spelled)}`,
          { key: t.adminKey },
        );
        expect(answer.status).toBe(200);
        expect(
          answer.body.items.map((c: { id: string }) => c.id),
          `${filter}=${spelled}`,
        ).toEqual(expected);
      }
    }
    const none = await call(t.baseUrl, 'GET', `${ADMIN}/connectors?provider=nobody-at-all`, {
      key: t.adminKey,
    });
    expect(none.body.items).toEqual([]);
  });

  it('pages API keys, tenants and connection endpoints', async () => {
    for (const name of ['k1', 'k2', 'k3']) {
      await call(t.baseUrl, 'POST', `${ADMIN}/api-keys`, {
        key: tenantB.key,
        body: { name, role: 'viewer' },
      });
    }
    const keys = await pageAll(`${ADMIN}/api-keys`, tenantB.key, 1);
    expect(keys.map((k) => k.name)).toEqual(['k3', 'k2', 'k1', 'b admin']);
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length);

    const tenantsAtOnce = await call(t.baseUrl, 'GET', `${ADMIN}/tenants?limit=200`, { key: t.ownerKey });
    const tenants = await pageAll(`${ADMIN}/tenants`, t.ownerKey, 1);
    expect(tenants.map((x) => x.id)).toEqual(tenantsAtOnce.body.items.map((x: { id: string }) => x.id));
    expect(tenants.map((x) => x.slug)).toEqual(expect.arrayContaining(['tenant-b', 'default']));

    for (const name of ['charlie', 'alpha', 'bravo']) {
      const made = await call(t.baseUrl, 'POST', `${ADMIN}/connections/${connectionId}/endpoints`, {
        key: t.adminKey,
        body: { endpointName: name, endpointUrl: `/${name}` },
      });
      expect(made.status).toBe(201);
    }
    const endpoints = await pageAll(`${ADMIN}/connections/${connectionId}/endpoints`, t.adminKey, 1);
    expect(endpoints.map((e) => e.endpointName)).toEqual(['alpha', 'bravo', 'charlie']);
    expectProblem(
      await call(t.baseUrl, 'GET', `${ADMIN}/connections/${connectionId}/endpoints?limit=0`, {
        key: t.adminKey,
      }),
      400,
      'KRX_VALIDATION_FAILED',
    );
  });

  it('names the missing credential of the chosen auth method, and only that method', async () => {
    const noToken = await call(t.baseUrl, 'POST', `${ADMIN}/connections`, {
      key: t.adminKey,
      body: { ...restConnection('bearer-without-token'), authConfig: { type: 'bearer' }, credentials: {} },
    });
    expectProblem(noToken, 400, 'KRX_VALIDATION_FAILED');
    expect(noToken.body.errors).toEqual([
      { path: '/credentials/token', message: "must have required property 'token'" },
    ]);

    const badSetting = await call(t.baseUrl, 'POST', `${ADMIN}/connections`, {
      key: t.adminKey,
      body: {
        ...restConnection('api-key-in-body'),
        authConfig: { type: 'api_key', in: 'body' },
        credentials: { apiKey: 'k', extra: 'x' },
      },
    });
    expectProblem(badSetting, 400, 'KRX_VALIDATION_FAILED');
    expect(badSetting.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/authConfig/in',
      '/credentials/extra',
    ]);

    const unknownMethod = await call(t.baseUrl, 'POST', `${ADMIN}/connections`, {
      key: t.adminKey,
      body: { ...restConnection('unknown-method'), authConfig: { type: 'kerberos' } },
    });
    expectProblem(unknownMethod, 400, 'KRX_VALIDATION_FAILED');
    expect(unknownMethod.body.errors).toHaveLength(1);
    expect(unknownMethod.body.errors[0].path).toBe('/authConfig/type');
    expect(unknownMethod.body.errors[0].message).toContain('bearer');

    const patched = await call(t.baseUrl, 'PATCH', `${ADMIN}/connections/${connectionId}`, {
      key: t.adminKey,
      body: { authConfig: { type: 'basic' }, credentials: { username: 'u' } },
    });
    expectProblem(patched, 400, 'KRX_VALIDATION_FAILED');
    expect(patched.body.errors).toEqual([
      { path: '/credentials/password', message: "must have required property 'password'" },
    ]);
    expect(JSON.stringify([noToken.body, badSetting.body, patched.body])).not.toContain('upstream-secret');
  });

  it("lists, reads, changes and deletes a connection's endpoints", async () => {
    const created = await call(t.baseUrl, 'POST', `${ADMIN}/connections/${connectionId}/endpoints`, {
      key: t.adminKey,
      body: { endpointName: 'users', endpointUrl: '/users', httpMethod: 'GET' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const base = `${ADMIN}/connections/${connectionId}/endpoints`;
    const listed = await call(t.baseUrl, 'GET', `${base}?limit=200`, { key: viewerKey });
    expect(listed.body.items.map((e: { id: string }) => e.id)).toContain(id);

    const patched = await call(t.baseUrl, 'PATCH', `${base}/${id}`, {
      key: t.adminKey,
      body: { endpointUrl: '/people', timeoutSeconds: 5 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ endpointName: 'users', endpointUrl: '/people', timeoutSeconds: 5 });
    const read = await call(t.baseUrl, 'GET', `${base}/${id}`, { key: t.adminKey });
    expect(read.body).toMatchObject({ endpointUrl: '/people', timeoutSeconds: 5 });
    expectProblem(
      await call(t.baseUrl, 'PATCH', `${base}/${id}`, { key: t.adminKey, body: { colour: 'red' } }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    expectProblem(
      await call(t.baseUrl, 'PATCH', `${base}/${id}`, { key: t.adminKey, body: { endpointName: 'alpha' } }),
      409,
      'KRX_CONFLICT',
    );

    expect((await call(t.baseUrl, 'DELETE', `${base}/${id}`, { key: t.adminKey })).status).toBe(204);
    expectProblem(await call(t.baseUrl, 'GET', `${base}/${id}`, { key: t.adminKey }), 404, 'KRX_NOT_FOUND');
    expectProblem(
      await call(t.baseUrl, 'DELETE', `${base}/${id}`, { key: t.adminKey }),
      404,
      'KRX_NOT_FOUND',
    );
    const after = await call(t.baseUrl, 'GET', `${base}?limit=200`, { key: t.adminKey });
    expect(after.body.items.map((e: { id: string }) => e.id)).not.toContain(id);
    const log = await call(t.baseUrl, 'GET', `${ADMIN}/audit-log?resourceId=${id}`, { key: t.adminKey });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'endpoint.delete',
      'endpoint.update',
      'endpoint.create',
    ]);
  });

  it("answers 404 to tenant B for tenant A's endpoints: list, read, change, delete", async () => {
    const made = await call(t.baseUrl, 'POST', `${ADMIN}/connections/${connectionId}/endpoints`, {
      key: t.adminKey,
      body: { endpointName: 'private', endpointUrl: '/private' },
    });
    const base = `${ADMIN}/connections/${connectionId}/endpoints`;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', base],
      ['GET', `${base}/${made.body.id}`],
      ['PATCH', `${base}/${made.body.id}`, { endpointUrl: '/stolen' }],
      ['DELETE', `${base}/${made.body.id}`],
      ['POST', base, { endpointName: 'planted', endpointUrl: '/planted' }],
    ];
    for (const [method, path, body] of attempts) {
      expectProblem(
        await call(t.baseUrl, method, path, { key: tenantB.key, body }),
        404,
        'KRX_CONNECTION_NOT_FOUND',
      );
    }
    const still = await call(t.baseUrl, 'GET', `${base}/${made.body.id}`, { key: t.adminKey });
    expect(still.body.endpointUrl).toBe('/private');
  });

  it('refuses viewers every change: create, update and delete', async () => {
    const endpoint = await call(t.baseUrl, 'POST', `${ADMIN}/connections/${connectionId}/endpoints`, {
      key: t.adminKey,
      body: { endpointName: 'viewer-target', endpointUrl: '/v' },
    });
    const writes: Array<[string, string, unknown?]> = [
      ['POST', `${ADMIN}/connections`, restConnection('by-viewer')],
      ['PATCH', `${ADMIN}/connections/${connectionId}`, { name: 'renamed-by-viewer' }],
      ['DELETE', `${ADMIN}/connections/${connectionId}`],
      ['POST', `${ADMIN}/connections/${connectionId}/endpoints`, { endpointName: 'v2', endpointUrl: '/v2' }],
      ['PATCH', `${ADMIN}/connections/${connectionId}/endpoints/${endpoint.body.id}`, { endpointUrl: '/x' }],
      ['DELETE', `${ADMIN}/connections/${connectionId}/endpoints/${endpoint.body.id}`],
      ['POST', `${ADMIN}/api-keys`, { name: 'x', role: 'admin' }],
    ];
    for (const [method, path, body] of writes) {
      expectProblem(await call(t.baseUrl, method, path, { key: viewerKey, body }), 403, 'KRX_FORBIDDEN');
    }
    const connection = await call(t.baseUrl, 'GET', `${ADMIN}/connections/${connectionId}`, {
      key: viewerKey,
    });
    expect(connection.body.name).toBe('contract');
    const kept = await call(
      t.baseUrl,
      'GET',
      `${ADMIN}/connections/${connectionId}/endpoints/${endpoint.body.id}`,
      {
        key: viewerKey,
      },
    );
    expect(kept.body.endpointUrl).toBe('/v');
  });
});
