/**
 * The response cache through the gateway's execute API against a local upstream: X-Cache, ETag
 * revalidation, no-store, Vary and purge, on PGlite and PostgreSQL (and the Redis cache when
 * REDIS_URL is set).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const REDIS_URL = process.env.REDIS_URL;
const SECRET = 'cache-upstream-secret-987654321';

interface Upstream {
  url: string;
  hits: Map<string, number>;
  conditional: string[];
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const hits = new Map<string, number>();
  const conditional: string[] = [];
  let version = 1;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/base/, '').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.setHeader('content-type', 'application/json');
    if (path === '/etag/doc') {
      const etag = `"v${version}"`;
      if (req.headers['if-none-match']) conditional.push(String(req.headers['if-none-match']));
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { etag }).end(JSON.stringify({ version }));
      return;
    }
    if (path === '/etag/bump') {
      version += 1;
      res.end('{}');
      return;
    }
    if (path === '/nostore') {
      res.writeHead(200, { 'cache-control': 'no-store' }).end(JSON.stringify({ n: hits.get(path) }));
      return;
    }
    if (path === '/vary') {
      res
        .writeHead(200, { vary: 'Accept-Language' })
        .end(JSON.stringify({ lang: req.headers['accept-language'] ?? null, n: hits.get(path) }));
      return;
    }
    res.end(
      JSON.stringify({ path, n: hits.get(path), key: req.headers['x-upstream-key'] ? 'sent' : 'missing' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    conditional,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describeStores(`response cache through the gateway${REDIS_URL ? ' (Redis cache)' : ''}`, (store) => {
  let t: TestPlatform;
  let upstream: Upstream;
  let connectionId: string;

  const execute = (endpoint: string, extra: Record<string, unknown> = {}) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/execute`, {
      key: t.adminKey,
      body: { method: 'GET', endpoint, ...extra },
    });
  const xcache = async (endpoint: string, extra: Record<string, unknown> = {}) => {
    const result = await execute(endpoint, extra);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result.headers.get('x-cache');
  };
  const policy = (body: Record<string, unknown>) =>
    call(t.baseUrl, 'POST', '/api/integrations/cache-policies', {
      key: t.adminKey,
      body: { connectionId, ...body },
    });

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    });
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'rest',
        name: 'cached upstream',
        config: { baseUrl: `${upstream.url}/base` },
        authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
        credentials: { apiKey: SECRET },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connectionId = created.body.id;
    expect((await policy({ endpointPattern: '/plain/*' })).status).toBe(201);
    expect((await policy({ endpointPattern: '/etag/doc', cacheStrategy: 'etag' })).status).toBe(201);
    expect((await policy({ endpointPattern: '/nostore' })).status).toBe(201);
    expect((await policy({ endpointPattern: '/vary' })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('answers MISS then HIT, without calling the upstream again; uncovered endpoints bypass', async () => {
    expect(await xcache('/plain/a')).toBe('MISS');
    const hit = await execute('/plain/a');
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.body).toMatchObject({
      cached: true,
      statusCode: 200,
      data: { path: '/plain/a', n: 1, key: 'sent' },
    });
    expect(upstream.hits.get('/plain/a')).toBe(1);
    expect(await xcache('/other')).toBe('BYPASS');
    expect(await xcache('/plain/a', { skipCache: true })).toBe('BYPASS');
    expect(upstream.hits.get('/plain/a')).toBe(2);
  });

  it('revalidates with the ETag: 304 → REVALIDATED, a changed document → MISS', async () => {
    expect(await xcache('/etag/doc')).toBe('MISS');
    const revalidated = await execute('/etag/doc');
    expect(revalidated.headers.get('x-cache')).toBe('REVALIDATED');
    expect(revalidated.body.data).toEqual({ version: 1 });
    expect(upstream.conditional).toEqual(['"v1"']);
    await execute('/etag/bump');
    const changed = await execute('/etag/doc');
    expect(changed.headers.get('x-cache')).toBe('MISS');
    expect(changed.body.data).toEqual({ version: 2 });
  });

  it('does not store no-store responses', async () => {
    expect([await xcache('/nostore'), await xcache('/nostore')]).toEqual(['MISS', 'MISS']);
    expect(upstream.hits.get('/nostore')).toBe(2);
  });

  it('keeps one variant per Vary header value', async () => {
    const fr = { headers: { 'accept-language': 'fr' } };
    const en = { headers: { 'accept-language': 'en' } };
    expect(await xcache('/vary', fr)).toBe('MISS');
    expect(await xcache('/vary', en)).toBe('MISS');
    const frAgain = await execute('/vary', fr);
    expect(frAgain.headers.get('x-cache')).toBe('HIT');
    expect(frAgain.body.data.lang).toBe('fr');
    expect(upstream.hits.get('/vary')).toBe(2);
  });

  it('purges through the API', async () => {
    expect(await xcache('/plain/p1')).toBe('MISS');
    expect(await xcache('/plain/p2')).toBe('MISS');
    const purged = await call(
      t.baseUrl,
      'DELETE',
      `/api/integrations/cache?connectionId=${connectionId}&pattern=${encodeURIComponent('/plain/p1')}`,
      { key: t.adminKey },
    );
    expect(purged.body).toEqual({ purged: 1 });
    expect(await xcache('/plain/p1')).toBe('MISS');
    expect(await xcache('/plain/p2')).toBe('HIT');
  });
});
