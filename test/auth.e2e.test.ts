/**
 * Caller authentication end to end: JWTs from a JWKS (RS256, ES256) with iss/aud/nbf checked, JWTs
 * of suspended or unknown tenants, API-key expiry and last-used times.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPlatform } from '../src/start.js';
import { call, createTenant, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores, leaseStore } from './support/stores.js';

const JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'kryonix-test';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// Same kid as the published RSA key, but not the published key: a token it signs must fail.
const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A local identity provider publishing the RSA and EC public keys, counting fetches. */
async function startJwks() {
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  let fetches = 0;
  const server = http.createServer((_request, response) => {
    fetches += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function expectUnauthenticated(result: { status: number; headers: Headers; body: any }) {
  expect(result.status).toBe(401);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  expect(result.body.code).toBe('KRX_UNAUTHENTICATED');
}

const restConnection = (name: string) => ({
  connectorId: 'rest',
  name,
  config: { baseUrl: 'https://api.example.com/v1' },
  authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
  credentials: { apiKey: 'upstream-secret-12345' },
});

describeStores('caller authentication', (store) => {
  let t: TestPlatform;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let tenant: { id: string; key: string };

  beforeAll(async () => {
    jwks = await startJwks();
    t = await startTestPlatform(store, {
      API_AUTH_JWT_SECRET: JWT_SECRET,
      API_AUTH_JWKS_URL: jwks.url,
      API_AUTH_JWT_ISSUER: ISSUER,
      API_AUTH_JWT_AUDIENCE: AUDIENCE,
    });
    tenant = await createTenant(t, 'auth-tenant');
  });
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  /** A token with good claims unless `overrides` changes them; `options` picks the kid, key and nbf. */
  function token(
    alg: 'RS256' | 'ES256' | 'HS256',
    overrides: JWTPayload = {},
    options: { kid?: string; signWith?: 'impostor'; notBefore?: number } = {},
  ): Promise<string> {
    const jwt = new SignJWT({ tenant_id: tenant.id, role: 'editor', ...overrides })
      .setProtectedHeader({ alg, kid: options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
      .setSubject('user-7')
      .setIssuer((overrides.iss as string | undefined) ?? ISSUER)
      .setAudience((overrides.aud as string | undefined) ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m');
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    if (alg === 'HS256') return jwt.sign(new TextEncoder().encode(JWT_SECRET));
    if (alg === 'ES256') return jwt.sign(ec.privateKey);
    return jwt.sign(options.signWith === 'impostor' ? impostor.privateKey : rsa.privateKey);
  }

  const list = (key: string) => call(t.baseUrl, 'GET', '/api/integrations/connections', { key });

  it('accepts RS256 and ES256 tokens whose keys the JWKS publishes, and can write with them', async () => {
    expect((await list(await token('RS256'))).status).toBe(200);
    expect((await list(await token('ES256'))).status).toBe(200);
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: await token('ES256'),
      body: restConnection('via-es256'),
    });
    expect(created.status).toBe(201);
    expect(jwks.fetches()).toBeGreaterThan(0);
  });

  it('refuses a wrong issuer or audience, a future nbf, an unknown kid and a key the JWKS does not publish', async () => {
    const inAMinute = Math.floor(Date.now() / 1000) + 60;
    const refused = [
      await token('RS256', { iss: 'https://evil.example.test/' }),
      await token('ES256', { aud: 'someone-else' }),
      await token('RS256', {}, { notBefore: inAMinute }),
      await token('ES256', {}, { notBefore: inAMinute }),
      await token('RS256', {}, { kid: 'rsa-unknown' }),
      await token('RS256', {}, { signWith: 'impostor' }),
      await token('HS256', { iss: 'https://evil.example.test/' }),
    ];
    for (const jwt of refused) expectUnauthenticated(await list(jwt));
    const claims = JSON.stringify((await list(refused[0])).body);
    expect(claims).toMatch(/iss/);
  });

  it('answers 401 to a token naming a tenant that does not exist, on reads and writes (not a 500)', async () => {
    const ghost = await token('HS256', { tenant_id: randomUUID() });
    expectUnauthenticated(await list(ghost));
    const write = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: ghost,
      body: restConnection('ghost'),
    });
    expectUnauthenticated(write);
    expect(write.body.detail).toMatch(/tenant/);
  });

  it("refuses a suspended tenant's tokens as it refuses its keys, at once, and takes them back on reactivation", async () => {
    const jwt = await token('RS256');
    expect((await list(jwt)).status).toBe(200); // cached as active now
    expect((await list(tenant.key)).status).toBe(200);

    const suspended = await call(t.baseUrl, 'PATCH', `/api/integrations/tenants/${tenant.id}`, {
      key: t.ownerKey,
      body: { status: 'suspended' },
    });
    expect(suspended.status).toBe(200);
    const byKey = await list(tenant.key);
    const byJwt = await list(jwt);
    expectUnauthenticated(byKey);
    expectUnauthenticated(byJwt);
    expect(byJwt.body.code).toBe(byKey.body.code);
    expectUnauthenticated(await list(await token('HS256')));

    const active = await call(t.baseUrl, 'PATCH', `/api/integrations/tenants/${tenant.id}`, {
      key: t.ownerKey,
      body: { status: 'active' },
    });
    expect(active.status).toBe(200);
    expect((await list(jwt)).status).toBe(200);
  });

  it('refuses an API key once it expires', async () => {
    const shortLived = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: tenant.key,
      body: { name: 'short', role: 'viewer', expiresAt: new Date(Date.now() + 1500).toISOString() },
    });
    expect(shortLived.status).toBe(201);
    expect((await list(shortLived.body.key)).status).toBe(200); // now cached, expiry and all
    const expired = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: tenant.key,
      body: { name: 'past', role: 'viewer', expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    expectUnauthenticated(await list(expired.body.key));
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expectUnauthenticated(await list(shortLived.body.key));
  });
});

describeStores('API key last-used time', (store) => {
  it('is recorded for a key that was used, and not for one that was not, kept across a restart', async () => {
    const lease = await leaseStore(store);
    try {
      const config = loadConfig(lease.env);
      let platform = await createPlatform(config);
      await platform.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (platform.app.server.address() as AddressInfo).port;
      const admin = platform.bootstrapKey!;
      const base = `http://127.0.0.1:${port}`;
      const unused = await call(base, 'POST', '/api/integrations/api-keys', {
        key: admin,
        body: { name: 'unused', role: 'viewer' },
      });
      const used = await call(base, 'POST', '/api/integrations/api-keys', {
        key: admin,
        body: { name: 'used', role: 'viewer' },
      });
      const before = Date.now();
      expect((await call(base, 'GET', '/api/integrations/connections', { key: used.body.key })).status).toBe(
        200,
      );
      // Last-used times are written in batches: on shutdown at the latest.
      await platform.close();

      platform = await createPlatform(config);
      await platform.app.listen({ host: '127.0.0.1', port: 0 });
      const again = `http://127.0.0.1:${(platform.app.server.address() as AddressInfo).port}`;
      const listed = await call(again, 'GET', '/api/integrations/api-keys', { key: admin });
      await platform.close();
      const byName = new Map<string, any>(listed.body.items.map((key: any) => [key.name, key]));
      expect(byName.get('unused').id).toBe(unused.body.apiKey.id);
      expect(byName.get('unused').lastUsedAt).toBeNull();
      expect(Date.parse(byName.get('used').lastUsedAt)).toBeGreaterThanOrEqual(before - 2000);
      expect(Date.parse(byName.get('used').lastUsedAt)).toBeLessThanOrEqual(Date.now());
    } finally {
      await lease.release();
    }
  }, 60_000);
});
