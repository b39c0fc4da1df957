import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, restConnection, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

function expectProblem(
  result: { status: number; headers: Headers; body: any },
  status: number,
  code: string,
) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  expect(result.body.code).toBe(code);
  expect(result.body.status).toBe(status);
  expect(JSON.stringify(result.body)).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
}

describeStores('platform foundation', (store) => {
  let t: TestPlatform;
  let tenantB: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestPlatform(store, {
      API_AUTH_JWT_SECRET: JWT_SECRET,
      API_GATEWAY_MAX_PAYLOAD_SIZE: '64kb',
    });
    const created = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Tenant B', slug: 'tenant-b' },
    });
    expect(created.status).toBe(201);
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${created.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'b admin', role: 'admin' },
    });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^krx_/);
    tenantB = { id: created.body.id, key: key.body.key };
  });
  afterAll(async () => t?.close());

  it('creates a connection, reads it back masked, and stores the credential encrypted', async () => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: restConnection('crm'),
    });
    expect(created.status).toBe(201);
    expect(created.body.credentials).toEqual({ apiKey: '********' });
    expect(JSON.stringify(created.body)).not.toContain('upstream-secret-12345');

    const read = await call(t.baseUrl, 'GET', `/api/integrations/connections/${created.body.id}`, {
      key: t.adminKey,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      name: 'crm',
      connectorId: 'rest',
      config: { baseUrl: 'https://api.example.com/v1' },
    });
    expect(read.body.credentials).toEqual({ apiKey: '********' });

    const raw = await t.platform.db.pool.query(
      'SELECT credentials::text AS c FROM connections WHERE id = $1',
      [created.body.id],
    );
    expect(raw.rows[0].c).not.toContain('upstream-secret-12345');
    expect(JSON.parse(raw.rows[0].c)).toMatchObject({
      v: 1,
      kid: expect.any(String),
      ct: expect.any(String),
      fields: ['apiKey'],
    });

    const list = await call(t.baseUrl, 'GET', '/api/integrations/connections?connectorId=rest', {
      key: t.adminKey,
    });
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain('crm');
  });

  it('validates config and auth against the connector schemas', async () => {
    const bad = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { ...restConnection('bad'), config: { baseUrl: 'not a url' }, credentials: {} },
    });
    expectProblem(bad, 400, 'KRX_VALIDATION_FAILED');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('/config/baseUrl');

    const unknownConnector = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { ...restConnection('x'), connectorId: 'nope' },
    });
    expectProblem(unknownConnector, 404, 'KRX_CONNECTOR_NOT_FOUND');

    const duplicate = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: restConnection('crm'),
    });
    expectProblem(duplicate, 409, 'KRX_CONFLICT');
  });

  it("keeps tenants apart: B cannot list, read, update or delete A's resources", async () => {
    const a = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: restConnection('private-a'),
    });
    const id = a.body.id;
    const endpoint = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/endpoints`, {
      key: t.adminKey,
      body: { endpointName: 'users', endpointUrl: '/users' },
    });
    expect(endpoint.status).toBe(201);

    const list = await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: tenantB.key });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    expectProblem(
      await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}`, { key: tenantB.key }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'PATCH', `/api/integrations/connections/${id}`, {
        key: tenantB.key,
        body: { name: 'stolen' },
      }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'DELETE', `/api/integrations/connections/${id}`, { key: tenantB.key }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}/endpoints/${endpoint.body.id}`, {
        key: tenantB.key,
      }),
      404,
      'KRX_CONNECTION_NOT_FOUND',
    );
    const auditB = await call(t.baseUrl, 'GET', '/api/integrations/audit-log', { key: tenantB.key });
    expect(auditB.body.items.some((e: { resourceId: string }) => e.resourceId === id)).toBe(false);

    // Row-level security holds even for a query with no tenant filter of its own.
    const { connections } = await import('../src/platform/db/schema.js');
    const seenByB = await t.platform.db.withTenant(tenantB.id, (tx) => tx.select().from(connections));
    expect(seenByB).toEqual([]);

    const still = await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}`, { key: t.adminKey });
    expect(still.body.name).toBe('private-a');
  });

  it('enforces roles: viewers read only, editors cannot manage keys, tenant keys cannot manage tenants', async () => {
    const viewer = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: t.adminKey,
      body: { name: 'v', role: 'viewer' },
    });
    const editor = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: t.adminKey,
      body: { name: 'e', role: 'editor' },
    });
    expect(viewer.status).toBe(201);
    expect(viewer.body.apiKey).not.toHaveProperty('keyHash');

    expect(
      (await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: viewer.body.key })).status,
    ).toBe(200);
    expectProblem(
      await call(t.baseUrl, 'POST', '/api/integrations/connections', {
        key: viewer.body.key,
        body: restConnection('by-viewer'),
      }),
      403,
      'KRX_FORBIDDEN',
    );
    expect(
      (
        await call(t.baseUrl, 'POST', '/api/integrations/connections', {
          key: editor.body.key,
          body: restConnection('by-editor'),
        })
      ).status,
    ).toBe(201);
    expectProblem(
      await call(t.baseUrl, 'GET', '/api/integrations/api-keys', { key: editor.body.key }),
      403,
      'KRX_FORBIDDEN',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', '/api/integrations/tenants', { key: t.adminKey }),
      403,
      'KRX_FORBIDDEN',
    );
  });

  it('refuses revoked keys at once', async () => {
    const made = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: t.adminKey,
      body: { name: 'temp', role: 'viewer' },
    });
    expect(
      (await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: made.body.key })).status,
    ).toBe(200);
    expect(
      (
        await call(t.baseUrl, 'DELETE', `/api/integrations/api-keys/${made.body.apiKey.id}`, {
          key: t.adminKey,
        })
      ).status,
    ).toBe(204);
    expectProblem(
      await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: made.body.key }),
      401,
      'KRX_UNAUTHENTICATED',
    );
    // B cannot revoke A's keys
    expectProblem(
      await call(t.baseUrl, 'DELETE', `/api/integrations/api-keys/${made.body.apiKey.id}`, {
        key: tenantB.key,
      }),
      404,
      'KRX_NOT_FOUND',
    );
  });

  it('accepts HS256 JWTs with the right claims and refuses forged, expired and alg:none tokens', async () => {
    const secret = new TextEncoder().encode(JWT_SECRET);
    const claims = { tenant_id: tenantB.id, role: 'viewer' };
    const good = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setExpirationTime('5m')
      .sign(secret);
    expect((await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: good })).status).toBe(200);

    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(48)));
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, sub: 'u', exp: 9999999999 })).toString('base64url')}.`;
    for (const token of [expired, forged, none, 'garbage.token.here']) {
      expectProblem(
        await call(t.baseUrl, 'GET', '/api/integrations/connections', { key: token }),
        401,
        'KRX_UNAUTHENTICATED',
      );
    }
    const viewerWrite = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: good,
      body: restConnection('jwt-write'),
    });
    expectProblem(viewerWrite, 403, 'KRX_FORBIDDEN');
  });

  it('answers bad input with 4xx problem documents and keeps serving', async () => {
    const path = '/api/integrations/connections';
    expectProblem(
      await call(t.baseUrl, 'POST', path, { key: t.adminKey, body: '{"name": ' }),
      400,
      'KRX_BAD_REQUEST',
    );
    expectProblem(
      await call(t.baseUrl, 'POST', path, {
        key: t.adminKey,
        body: 'name=x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'KRX_UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(
      await call(t.baseUrl, 'POST', path, { key: t.adminKey, body: { ...restConnection('t'), name: 42 } }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    const unknown = await call(t.baseUrl, 'POST', path, {
      key: t.adminKey,
      body: { ...restConnection('u'), colour: 'red' },
    });
    expectProblem(unknown, 400, 'KRX_VALIDATION_FAILED');
    expect(unknown.body.errors).toContainEqual({ path: '/body/colour', message: 'is not a known field' });
    expectProblem(
      await call(t.baseUrl, 'POST', path, {
        key: t.adminKey,
        body: { ...restConnection('big'), description: 'x'.repeat(70 * 1024) },
      }),
      413,
      'KRX_PAYLOAD_TOO_LARGE',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', `${path}/not-a-uuid`, { key: t.adminKey }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', `${path}?limit=100000`, { key: t.adminKey }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', `${path}?cursor=bm9wZQ`, { key: t.adminKey }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    expectProblem(
      await call(t.baseUrl, 'GET', path, { headers: { authorization: 'Basic abc' } }),
      401,
      'KRX_UNAUTHENTICATED',
    );
    expectProblem(await call(t.baseUrl, 'GET', path, { key: 'krx_unknown' }), 401, 'KRX_UNAUTHENTICATED');
    expectProblem(
      await call(t.baseUrl, 'GET', '/api/integrations/nothing-here', { key: t.adminKey }),
      404,
      'KRX_ROUTE_NOT_FOUND',
    );
    expect((await call(t.baseUrl, 'GET', '/health/ready')).status).toBe(200);
  });

  it('paginates with a cursor', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) {
      await call(t.baseUrl, 'POST', '/api/integrations/connections', {
        key: tenantB.key,
        body: restConnection(name),
      });
    }
    const first = await call(t.baseUrl, 'GET', '/api/integrations/connections?limit=2', { key: tenantB.key });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(
      t.baseUrl,
      'GET',
      `/api/integrations/connections?limit=2&cursor=${first.body.nextCursor}`,
      { key: tenantB.key },
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const names = [...first.body.items, ...second.body.items].map((c: { name: string }) => c.name);
    expect(new Set(names)).toEqual(new Set(['page-1', 'page-2', 'page-3']));
  });

  it('updates settings without touching the stored secrets (and without decrypting them)', async () => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: restConnection('renamed'),
    });
    const patched = await call(t.baseUrl, 'PATCH', `/api/integrations/connections/${created.body.id}`, {
      key: t.adminKey,
      body: { name: 'renamed-2', config: { baseUrl: 'https://api.example.com/v2' } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed-2', credentials: { apiKey: '********' } });
    const log = await call(t.baseUrl, 'GET', `/api/integrations/audit-log?resourceId=${created.body.id}`, {
      key: t.adminKey,
    });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'connection.update',
      'connection.create',
    ]);
  });

  it('records mutations and credential decryptions in the audit log, without secrets', async () => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: restConnection('audited'),
    });
    const patched = await call(t.baseUrl, 'PATCH', `/api/integrations/connections/${created.body.id}`, {
      key: t.adminKey,
      body: { authConfig: { type: 'api_key', in: 'query', name: 'key' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.credentials).toEqual({ apiKey: '********' });
    const log = await call(t.baseUrl, 'GET', `/api/integrations/audit-log?resourceId=${created.body.id}`, {
      key: t.adminKey,
    });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'connection.update',
      'connection.credentials.decrypt',
      'connection.create',
    ]);
    expect(log.body.items[0]).toMatchObject({
      sourceIp: '127.0.0.1',
      actor: expect.stringMatching(/^api_key:/),
    });
    expect(JSON.stringify(log.body)).not.toContain('upstream-secret-12345');
  });

  it('serves OpenAPI 3.1, interactive docs and health checks without credentials', async () => {
    const openapi = await call(t.baseUrl, 'GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toContain('/api/integrations/connections');
    expect((await fetch(`${t.baseUrl}/docs`)).status).toBe(200);
    expect((await call(t.baseUrl, 'GET', '/health/live')).body).toEqual({ status: 'ok' });
    const ready = await call(t.baseUrl, 'GET', '/health/ready');
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok' } });
    const traced = await fetch(`${t.baseUrl}/health/live`, { headers: { 'x-request-id': 'trace-123' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-123');
  });

  it('connects to the database as a role that row-level security applies to', async () => {
    const roles = await t.platform.db.withTenant(tenantB.id, async (tx) => {
      const { sql } = await import('drizzle-orm');
      return tx.execute<{ rolname: string; rolbypassrls: boolean; rolsuper: boolean }>(
        sql`SELECT rolname, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user`,
      );
    });
    expect(roles.rows[0]).toEqual({ rolname: 'kryonix_app', rolbypassrls: false, rolsuper: false });
  });

  it('runs a one-round-trip tenant statement under the same role and tenant, its values inlined safely', async () => {
    const { sql } = await import('drizzle-orm');
    const { connections } = await import('../src/platform/db/schema.js');
    const db = t.platform.db;
    const hostile = `it's \\ a "test" $1 \n'); DROP TABLE tenants; -- ünï €`;
    // Texts that would end a dollar-quoted literal early, on their own or together with its closing tag.
    const tagInside = `a $krx$'); DROP TABLE tenants; --`;
    const tagAtEnd = 'ends like the tag $krx';
    const document = { quote: "'", backslash: '\\', nested: { text: 'line\nbreak', dollars: '$$ $krx$ $' } };
    const echoed = await db.tenantStatement<Record<string, unknown>>(
      tenantB.id,
      sql`SELECT current_user AS who, current_setting('app.tenant_id') AS tenant, ${hostile}::text AS text,
        ${tagInside}::text AS inside, ${tagAtEnd}::text AS at_end, ${'$'}::text AS dollar,
        ${JSON.stringify(document)}::jsonb AS document, ${42} AS number, ${true} AS flag, ${null}::text AS nothing`,
    );
    expect(echoed.rows).toEqual([
      {
        who: 'kryonix_app',
        tenant: tenantB.id,
        text: hostile,
        inside: tagInside,
        at_end: tagAtEnd,
        dollar: '$',
        document,
        number: 42,
        flag: true,
        nothing: null,
      },
    ]);
    // Row-level security holds: the tenant sees exactly what withTenant shows it.
    const counted = await db.tenantStatement<{ n: number }>(
      tenantB.id,
      sql`SELECT count(*)::int AS n FROM connections`,
    );
    const viaTransaction = await db.withTenant(tenantB.id, (tx) => tx.select().from(connections));
    expect(counted.rows[0].n).toBe(viaTransaction.length);
    // A failing statement rolls back and leaves the connection usable (the embedded pool has one).
    await expect(db.tenantStatement(tenantB.id, sql`SELECT 1 / ${0}`)).rejects.toThrow(/division by zero/);
    expect((await db.tenantStatement<{ ok: number }>(tenantB.id, sql`SELECT ${1} AS ok`)).rows).toEqual([
      { ok: 1 },
    ]);
  });
});
