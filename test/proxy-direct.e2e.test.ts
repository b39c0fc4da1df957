/**
 * The proxy's direct route (src/api/proxy-direct.ts) answers exactly as the Fastify route it runs
 * ahead of. With CORS on, a request carrying `Origin` goes through Fastify and the same request without
 * it takes the direct route: both must give the same status, headers and body, errors included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { call, restConnection, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const ORIGIN = 'https://app.example.com';
/** Headers that differ between any two calls (time, ids, remaining quota) or that only CORS adds. */
const PER_CALL = new Set(['date', 'x-request-id', 'ratelimit', 'vary', 'keep-alive', 'connection']);

/** The upstream's echo of what it received, less the two headers that differ by design. */
function withoutPerCallEcho(body: string): string {
  if (!body.startsWith('{"method"')) return body;
  const echo = JSON.parse(body);
  delete echo.headers.origin;
  delete echo.headers['x-request-id'];
  return JSON.stringify(echo);
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describeStores('proxy direct route', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let connectionId: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      API_CORS_ORIGINS: ORIGIN,
      API_GATEWAY_MAX_PAYLOAD_SIZE: '1kb',
    });
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { ...restConnection('direct'), config: { baseUrl: `${upstream.url}/base` } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  async function send(path: string, init: RequestInit, viaFastify: boolean): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (viaFastify) headers.set('origin', ORIGIN);
    const response = await fetch(`${t.baseUrl}${path}`, { ...init, headers });
    const kept: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!PER_CALL.has(name) && !name.startsWith('access-control-')) kept[name] = value;
    });
    return { status: response.status, headers: kept, body: withoutPerCallEcho(await response.text()) };
  }

  /** The same request through Fastify and through the direct route. */
  async function both(path: string, init: RequestInit = {}) {
    const fastify = await send(path, init, true);
    const direct = await send(path, init, false);
    return { fastify, direct };
  }

  const proxied = (rest: string) => `/api/v1/proxy/${connectionId}${rest}`;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  const cases: Array<[string, () => { path: string; init: RequestInit }]> = [
    [
      'a GET with its query',
      () => ({ path: proxied('/echo?x=1&y=two'), init: { headers: auth(t.adminKey) } }),
    ],
    ['a HEAD', () => ({ path: proxied('/echo'), init: { method: 'HEAD', headers: auth(t.adminKey) } })],
    [
      'a POST with a body',
      () => ({
        path: proxied('/echo'),
        init: {
          method: 'POST',
          headers: { ...auth(t.adminKey), 'content-type': 'text/plain' },
          body: 'hello upstream',
        },
      }),
    ],
    ['an upstream 404', () => ({ path: proxied('/status/404'), init: { headers: auth(t.adminKey) } })],
    ['an upstream 204', () => ({ path: proxied('/status/204'), init: { headers: auth(t.adminKey) } })],
    [
      'a 304 revalidation',
      () => ({ path: proxied('/etag'), init: { headers: { ...auth(t.adminKey), 'if-none-match': '"v1"' } } }),
    ],
    ['no credential (401)', () => ({ path: proxied('/echo'), init: {} })],
    ['an unknown API key (401)', () => ({ path: proxied('/echo'), init: { headers: auth('krx_unknown') } })],
    [
      'an owner key, which has no tenant (403)',
      () => ({ path: proxied('/echo'), init: { headers: auth(t.ownerKey) } }),
    ],
    [
      'an unknown connection (404)',
      () => ({
        path: '/api/v1/proxy/00000000-0000-4000-8000-000000000000/echo',
        init: { headers: auth(t.adminKey) },
      }),
    ],
    [
      'a body over API_GATEWAY_MAX_PAYLOAD_SIZE (413)',
      () => ({
        path: proxied('/echo'),
        init: {
          method: 'PUT',
          headers: { ...auth(t.adminKey), 'content-type': 'text/plain' },
          body: 'x'.repeat(2048),
        },
      }),
    ],
  ];

  for (const [name, request] of cases) {
    it(`answers ${name} as the Fastify route does`, async () => {
      const { path, init } = request();
      const { fastify, direct } = await both(path, init);
      expect(direct).toEqual(fastify);
    });
  }

  it('answers browser requests through Fastify, with CORS headers', async () => {
    const response = await fetch(`${t.baseUrl}${proxied('/echo')}`, {
      headers: { ...auth(t.adminKey), origin: ORIGIN },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const direct = await fetch(`${t.baseUrl}${proxied('/echo')}`, { headers: auth(t.adminKey) });
    expect(direct.headers.get('access-control-allow-origin')).toBeNull();
    expect(direct.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('leaves to Fastify what it does not take', () => {
    it('a percent-encoded path reaches the upstream decoded as before', async () => {
      const answer = await call(t.baseUrl, 'GET', `${proxied('/echo/a%20b')}`, { key: t.adminKey });
      expect(answer.status).toBe(200);
      expect(answer.body.url).toBe('/base/echo/a%20b');
    });

    it('a connection id that is not a UUID is a 400 naming it', async () => {
      const answer = await call(t.baseUrl, 'GET', '/api/v1/proxy/not-a-uuid/echo', { key: t.adminKey });
      expect(answer.status).toBe(400);
      expect(answer.body.detail).toMatch(/connectionId/);
    });
  });
});
