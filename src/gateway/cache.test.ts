import { afterEach, describe, expect, it } from 'vitest';
import {
  CONNECTION,
  eventually,
  fakeUpstream,
  OTHER_CONNECTION,
  policy,
  request,
  TENANT_A,
  TENANT_B,
} from '../../test/cache-kit.js';
import { createEventBus } from '../platform/events.js';
import { type CacheStatus, createResponseCacheWith, type ResponseCache } from './cache.js';
import type { CachePolicyRecord } from './cache-rules.js';
import { createMemoryStore } from './cache-store.js';

const opened: ResponseCache[] = [];

function makeCache(
  policies: CachePolicyRecord[] | Record<string, CachePolicyRecord[]>,
  options: { maxBytes?: number; events?: ReturnType<typeof createEventBus> } = {},
) {
  const loads: string[] = [];
  const byTenant = Array.isArray(policies) ? { [TENANT_A]: policies } : policies;
  const cache = createResponseCacheWith({
    loadPolicies: async (tenantId) => {
      loads.push(tenantId);
      return byTenant[tenantId] ?? [];
    },
    config: { cache: { ttlSeconds: 300, maxBytes: options.maxBytes ?? 1024 * 1024 }, redisUrl: undefined },
    events: options.events,
    notifier: null,
  });
  opened.push(cache);
  return Object.assign(cache, { loads, byTenant });
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

async function statuses(
  cache: ResponseCache,
  n: number,
  req = request('/users'),
  up = fakeUpstream(() => ({})),
) {
  const out: CacheStatus[] = [];
  for (let i = 0; i < n; i++) out.push((await cache.fetch(req, up)).cacheStatus);
  return out;
}

describe('response cache: hit, miss, bypass', () => {
  it('stores a cacheable GET and serves it again without calling the upstream', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(() => ({ headers: { 'content-type': 'application/json' }, body: '{"a":1}' }));
    const first = await cache.fetch(request('/users'), up);
    expect(first.cacheStatus).toBe('MISS');
    const second = await cache.fetch(request('/users'), up);
    expect(second.cacheStatus).toBe('HIT');
    expect(second.response.status).toBe(200);
    expect(second.response.body.toString()).toBe('{"a":1}');
    expect(second.response.headers['content-type']).toBe('application/json');
    expect(second.response.headers.age).toMatch(/^\d+$/);
    expect(up.calls).toEqual([{}]);
  });

  it('bypasses calls no policy covers, other methods, skipCache and callers’ own conditionals', async () => {
    const cache = makeCache([policy({ endpointPattern: '/users*', cacheConditions: { methods: ['GET'] } })]);
    const up = fakeUpstream(() => ({}));
    expect(await statuses(cache, 2, request('/orders'), up)).toEqual(['BYPASS', 'BYPASS']);
    expect(await statuses(cache, 2, request('/users', { connectionId: OTHER_CONNECTION }), up)).toEqual([
      'BYPASS',
      'BYPASS',
    ]);
    expect(await statuses(cache, 2, request('/users', { method: 'POST' }), up)).toEqual(['BYPASS', 'BYPASS']);
    expect(await statuses(cache, 2, request('/users', { method: 'HEAD' }), up)).toEqual(['BYPASS', 'BYPASS']);
    expect((await cache.fetch(request('/users'), up, { skipCache: true })).cacheStatus).toBe('BYPASS');
    expect(
      (await cache.fetch(request('/users', { headers: { 'if-none-match': '"x"' } }), up)).cacheStatus,
    ).toBe('BYPASS');
    expect((await cache.fetch(request('/users', { headers: { range: 'bytes=0-1' } }), up)).cacheStatus).toBe(
      'BYPASS',
    );
    expect(up.calls).toHaveLength(11);
    // Nothing was stored by those: the first cacheable GET is a miss.
    expect(await statuses(cache, 2, request('/users'), up)).toEqual(['MISS', 'HIT']);
  });

  it('uses the most specific matching policy', async () => {
    const cache = makeCache([
      policy({ endpointPattern: '/users/*', cacheStrategy: 'etag' }),
      policy({ endpointPattern: '/users/me', cacheStrategy: 'time_based' }),
    ]);
    const up = fakeUpstream(() => ({ headers: { etag: '"1"' } }));
    // /users/me is time_based: a plain hit; /users/42 is etag: revalidated every time.
    expect(await statuses(cache, 2, request('/users/me'), up)).toEqual(['MISS', 'HIT']);
    await cache.fetch(request('/users/42'), up);
    await cache.fetch(request('/users/42'), up);
    expect(up.calls.at(-1)).toEqual({ 'if-none-match': '"1"' });
  });

  it('invalidates the stored URL after a successful unsafe method (RFC 9111 4.4)', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(() => ({}));
    expect(await statuses(cache, 2, request('/users/1'), up)).toEqual(['MISS', 'HIT']);
    expect((await cache.fetch(request('/users/1', { method: 'PUT' }), up)).cacheStatus).toBe('BYPASS');
    expect(await statuses(cache, 2, request('/users/1'), up)).toEqual(['MISS', 'HIT']);
  });
});

describe('response cache: HTTP semantics', () => {
  it('etag strategy revalidates every time: 304 → REVALIDATED with the stored body, 200 → replaced', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'etag' })]);
    let version = 1;
    const up = fakeUpstream((conditional) =>
      conditional['if-none-match'] === `"v${version}"`
        ? { status: 304, headers: { etag: `"v${version}"` }, body: '' }
        : { headers: { etag: `"v${version}"`, 'cache-control': 'max-age=3600' }, body: `version ${version}` },
    );
    const first = await cache.fetch(request('/doc'), up);
    expect(first).toMatchObject({ cacheStatus: 'MISS' });
    const second = await cache.fetch(request('/doc'), up);
    expect(second.cacheStatus).toBe('REVALIDATED');
    expect(second.response.status).toBe(200);
    expect(second.response.body.toString()).toBe('version 1');
    expect(up.calls[1]).toEqual({ 'if-none-match': '"v1"' });

    version = 2;
    const changed = await cache.fetch(request('/doc'), up);
    expect(changed.cacheStatus).toBe('MISS');
    expect(changed.response.body.toString()).toBe('version 2');
    const again = await cache.fetch(request('/doc'), up);
    expect(again.cacheStatus).toBe('REVALIDATED');
    expect(again.response.body.toString()).toBe('version 2');
    expect(up.calls).toHaveLength(4);
  });

  it('revalidates with If-Modified-Since when Last-Modified is the only validator', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'etag' })]);
    const lastModified = 'Tue, 01 Apr 2025 10:00:00 GMT';
    const up = fakeUpstream((conditional) =>
      conditional['if-modified-since']
        ? { status: 304, body: '' }
        : { headers: { 'last-modified': lastModified } },
    );
    expect(await statuses(cache, 2, request('/doc'), up)).toEqual(['MISS', 'REVALIDATED']);
    expect(up.calls[1]).toEqual({ 'if-modified-since': lastModified });
  });

  it('etag strategy does not store a response without validators', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'etag' })]);
    expect(await statuses(cache, 2)).toEqual(['MISS', 'MISS']);
  });

  it('a 304 naming another validator makes a full request instead of serving the stored body', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'etag' })]);
    const up = fakeUpstream((conditional, n) =>
      conditional['if-none-match']
        ? { status: 304, headers: { etag: '"other"' } }
        : { headers: { etag: `"e${n}"` } },
    );
    await cache.fetch(request('/doc'), up);
    const result = await cache.fetch(request('/doc'), up);
    expect(result.cacheStatus).toBe('MISS');
    expect(result.response.body.toString()).toBe('body 3');
    expect(up.calls).toEqual([{}, { 'if-none-match': '"e1"' }, {}]);
  });

  it('conditional strategy serves while fresh, revalidates when stale, and a 304 refreshes the entry', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'conditional' })]);
    const up = fakeUpstream((conditional) =>
      conditional['if-none-match']
        ? { status: 304, headers: { etag: '"a"', 'cache-control': 'max-age=3600', 'x-revalidated': 'yes' } }
        : { headers: { etag: '"a"', 'cache-control': 'max-age=1' }, body: 'payload' },
    );
    expect(await statuses(cache, 2, request('/doc'), up)).toEqual(['MISS', 'HIT']);
    let last: Awaited<ReturnType<ResponseCache['fetch']>> | undefined;
    await eventually(async () => {
      last = await cache.fetch(request('/doc'), up);
      return last.cacheStatus === 'REVALIDATED';
    });
    expect(last?.response.body.toString()).toBe('payload');
    expect(last?.response.headers['x-revalidated']).toBe('yes');
    // The 304's max-age=3600 now governs: served without the upstream.
    const calls = up.calls.length;
    expect(await statuses(cache, 3, request('/doc'), up)).toEqual(['HIT', 'HIT', 'HIT']);
    expect(up.calls).toHaveLength(calls);
  });

  it('does not store no-store or private responses (we are a shared cache)', async () => {
    for (const cacheControl of ['no-store', 'private, max-age=60']) {
      const cache = makeCache([policy()]);
      const up = fakeUpstream(() => ({ headers: { 'cache-control': cacheControl } }));
      expect(await statuses(cache, 3, request('/me'), up)).toEqual(['MISS', 'MISS', 'MISS']);
      expect(up.calls).toHaveLength(3);
    }
  });

  it('honours request Cache-Control: no-store (not stored) and no-cache (not served unvalidated)', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'conditional' })]);
    const up = fakeUpstream((conditional) =>
      conditional['if-none-match'] ? { status: 304, headers: { etag: '"x"' } } : { headers: { etag: '"x"' } },
    );
    const noStore = request('/doc', { headers: { 'cache-control': 'no-store' } });
    expect(await statuses(cache, 2, noStore, up)).toEqual(['MISS', 'MISS']);
    expect(await statuses(cache, 2, request('/doc'), up)).toEqual(['MISS', 'HIT']);
    const noCache = request('/doc', { headers: { 'cache-control': 'no-cache' } });
    expect(await statuses(cache, 1, noCache, up)).toEqual(['REVALIDATED']);
  });

  it('keys variants by the request headers Vary names', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream((_c, n) => ({ headers: { vary: 'Accept-Language' }, body: `answer ${n}` }));
    const en = request('/greeting', { headers: { 'accept-language': 'en' } });
    const fr = request('/greeting', { headers: { 'accept-language': 'fr' } });
    expect((await cache.fetch(en, up)).cacheStatus).toBe('MISS');
    expect((await cache.fetch(fr, up)).cacheStatus).toBe('MISS');
    const enAgain = await cache.fetch(en, up);
    const frAgain = await cache.fetch(fr, up);
    expect([enAgain.cacheStatus, frAgain.cacheStatus]).toEqual(['HIT', 'HIT']);
    expect(enAgain.response.body.toString()).toBe('answer 1');
    expect(frAgain.response.body.toString()).toBe('answer 2');
    expect(up.calls).toHaveLength(2);
  });

  it('never stores Vary: *', async () => {
    const cache = makeCache([policy()]);
    expect(
      await statuses(
        cache,
        2,
        request('/x'),
        fakeUpstream(() => ({ headers: { vary: '*' } })),
      ),
    ).toEqual(['MISS', 'MISS']);
  });

  it('expires time_based entries after the policy TTL', async () => {
    const cache = makeCache([policy({ ttlSeconds: 1 })]);
    const up = fakeUpstream(() => ({}));
    expect(await statuses(cache, 2, request('/t'), up)).toEqual(['MISS', 'HIT']);
    await eventually(async () => (await cache.fetch(request('/t'), up)).cacheStatus === 'MISS');
    expect((await cache.fetch(request('/t'), up)).cacheStatus).toBe('HIT');
  });

  it("lets the response's explicit freshness win over the policy TTL", async () => {
    const cache = makeCache([policy({ ttlSeconds: 3600 })]);
    const up = fakeUpstream(() => ({ headers: { 'cache-control': 'max-age=0' } }));
    expect(await statuses(cache, 2, request('/t'), up)).toEqual(['MISS', 'MISS']);
  });

  it('stores only the configured statuses and body sizes', async () => {
    const cache = makeCache([
      policy({ endpointPattern: '/small/*', cacheConditions: { maxBodyBytes: 10 } }),
      policy({ endpointPattern: '/missing/*', cacheConditions: { statusCodes: [200, 404] } }),
      policy({ endpointPattern: '/default/*' }),
    ]);
    const big = fakeUpstream(() => ({ body: 'x'.repeat(11) }));
    expect(await statuses(cache, 2, request('/small/a'), big)).toEqual(['MISS', 'MISS']);
    const notFound = fakeUpstream(() => ({ status: 404 }));
    expect(await statuses(cache, 2, request('/missing/a'), notFound)).toEqual(['MISS', 'HIT']);
    expect(await statuses(cache, 2, request('/default/a'), notFound)).toEqual(['MISS', 'MISS']);
    const failing = fakeUpstream(() => ({ status: 500, headers: { 'cache-control': 'max-age=60' } }));
    expect(await statuses(cache, 2, request('/default/b'), failing)).toEqual(['MISS', 'MISS']);
  });

  it('serves neither Set-Cookie nor hop-by-hop headers from the cache', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(() => ({
      headers: {
        'cache-control': 'public, max-age=60',
        'set-cookie': 'session=abc',
        connection: 'close',
        'x-kept': '1',
      },
    }));
    const miss = await cache.fetch(request('/c'), up);
    expect(miss.response.headers['set-cookie']).toBe('session=abc'); // the caller who triggered it gets it
    const hit = await cache.fetch(request('/c'), up);
    expect(hit.cacheStatus).toBe('HIT');
    expect(hit.response.headers['set-cookie']).toBeUndefined();
    expect(hit.response.headers.connection).toBeUndefined();
    expect(hit.response.headers['x-kept']).toBe('1');
  });

  it('stores no cookie value, and a Set-Cookie response is fresh only when public', async () => {
    const memory = createMemoryStore(1024 * 1024);
    const written: string[] = [];
    const cache = createResponseCacheWith({
      loadPolicies: async () => [policy()],
      config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: undefined },
      store: {
        ...memory,
        set: async (key, record, ttl) => {
          written.push(JSON.stringify(record));
          await memory.set(key, record, ttl);
        },
      },
      notifier: null,
    });
    opened.push(cache);
    const publicCookie = fakeUpstream(() => ({
      headers: { 'cache-control': 'public, max-age=60', 'set-cookie': 'session=abc' },
    }));
    expect(await statuses(cache, 2, request('/pc'), publicCookie)).toEqual(['MISS', 'HIT']);
    const plainCookie = fakeUpstream(() => ({
      headers: { 'cache-control': 'max-age=60', 'set-cookie': 'session=abc' },
    }));
    expect(await statuses(cache, 2, request('/cc'), plainCookie)).toEqual(['MISS', 'MISS']);
    expect(written.length).toBeGreaterThan(0);
    expect(written.join('')).not.toContain('session=abc');
  });
});

describe('response cache: coalescing, bounds, purge, isolation', () => {
  it('makes one upstream call for 20 concurrent misses of one key', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(() => ({ body: 'shared' }), 50);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.fetch(request('/hot'), up)));
    expect(up.calls).toHaveLength(1);
    expect(results.filter((r) => r.cacheStatus === 'MISS')).toHaveLength(1);
    expect(results.filter((r) => r.cacheStatus === 'HIT')).toHaveLength(19);
    expect(new Set(results.map((r) => r.response.body.toString()))).toEqual(new Set(['shared']));
  });

  it('coalesces revalidations too', async () => {
    const cache = makeCache([policy({ cacheStrategy: 'etag' })]);
    const up = fakeUpstream((c) => (c['if-none-match'] ? { status: 304 } : { headers: { etag: '"1"' } }), 30);
    await cache.fetch(request('/doc'), up);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.fetch(request('/doc'), up)));
    expect(up.calls).toHaveLength(2);
    expect(results.every((r) => r.response.body.toString() === 'body 1')).toBe(true);
  });

  it('does not share an answer that may not be stored: each caller calls the upstream', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(
      (_c, n) => ({ headers: { 'cache-control': 'private' }, body: `for caller ${n}` }),
      20,
    );
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.fetch(request('/me'), up)));
    expect(up.calls).toHaveLength(5);
    expect(new Set(results.map((r) => r.response.body.toString())).size).toBe(5);
  });

  it('shares nothing between callers whose Vary headers differ', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream((_c, n) => ({ headers: { vary: 'accept' }, body: `${n}` }), 20);
    const [json, xml] = await Promise.all([
      cache.fetch(request('/v', { headers: { accept: 'application/json' } }), up),
      cache.fetch(request('/v', { headers: { accept: 'application/xml' } }), up),
    ]);
    expect(up.calls).toHaveLength(2);
    expect(json.response.body.toString()).not.toBe(xml.response.body.toString());
  });

  it('a failed shared call does not fail the callers who joined it', async () => {
    const cache = makeCache([policy()]);
    let n = 0;
    const up = async () => {
      n += 1;
      const call = n;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (call === 1) throw new Error('leader failed');
      return { status: 200, headers: {}, body: Buffer.from('ok') };
    };
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => cache.fetch(request('/f'), up)));
    expect(results[0].status).toBe('rejected');
    expect(results.slice(1).every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('is bounded in bytes: the least recently used entries are evicted', async () => {
    const cache = makeCache([policy()], { maxBytes: 10_000 });
    const up = fakeUpstream(() => ({ body: 'x'.repeat(3000) }));
    for (let i = 0; i < 6; i++) await cache.fetch(request(`/big/${i}`), up);
    expect(up.calls).toHaveLength(6);
    expect((await cache.fetch(request('/big/5'), up)).cacheStatus).toBe('HIT');
    expect((await cache.fetch(request('/big/0'), up)).cacheStatus).toBe('MISS');
  });

  it('purges by connection and by endpoint pattern', async () => {
    const cache = makeCache([policy(), policy({ connectionId: OTHER_CONNECTION })]);
    const up = fakeUpstream(() => ({}));
    const urls = ['/users/1', '/users/2', '/users/1/orders', '/orders/1'];
    for (const path of urls) await cache.fetch(request(path), up);
    await cache.fetch(request('/users/1', { connectionId: OTHER_CONNECTION }), up);

    expect(await cache.purge(TENANT_A, CONNECTION, '/users/*')).toBe(3);
    expect((await cache.fetch(request('/orders/1'), up)).cacheStatus).toBe('HIT');
    expect((await cache.fetch(request('/users/1', { connectionId: OTHER_CONNECTION }), up)).cacheStatus).toBe(
      'HIT',
    );
    expect((await cache.fetch(request('/users/2'), up)).cacheStatus).toBe('MISS');

    expect(await cache.purge(TENANT_A, CONNECTION, 'users/?')).toBe(0); // globs are literal but for *
    expect(await cache.purge(TENANT_A, CONNECTION)).toBe(2);
    expect((await cache.fetch(request('/orders/1'), up)).cacheStatus).toBe('MISS');
  });

  it("keeps tenants apart: one tenant's entry is never another's, nor purged by it", async () => {
    const cache = makeCache({ [TENANT_A]: [policy()], [TENANT_B]: [policy()] });
    const up = fakeUpstream((_c, n) => ({ body: `answer ${n}` }));
    expect((await cache.fetch(request('/same'), up)).cacheStatus).toBe('MISS');
    const b = await cache.fetch(request('/same', { tenantId: TENANT_B }), up);
    expect(b.cacheStatus).toBe('MISS');
    expect(b.response.body.toString()).toBe('answer 2');
    expect(await cache.purge(TENANT_B, CONNECTION)).toBe(1);
    expect((await cache.fetch(request('/same'), up)).cacheStatus).toBe('HIT');
  });
});

describe('response cache: policies and invalidation', () => {
  it('reads policies once per tenant until invalidated', async () => {
    const cache = makeCache([policy()]);
    const up = fakeUpstream(() => ({}));
    await statuses(cache, 3, request('/p'), up);
    expect(cache.loads).toEqual([TENANT_A]);
    cache.byTenant[TENANT_A] = [];
    expect((await cache.fetch(request('/p'), up)).cacheStatus).toBe('HIT'); // still the cached policy
    cache.invalidate(TENANT_A);
    expect((await cache.fetch(request('/p'), up)).cacheStatus).toBe('BYPASS');
    expect(cache.loads).toEqual([TENANT_A, TENANT_A]);
  });

  it('reloads cached policies in the background once they are old, without a notification', async () => {
    const records = { current: [policy()] };
    const cache = createResponseCacheWith({
      loadPolicies: async () => records.current,
      config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: undefined },
      notifier: null,
      policyRefreshMs: 100,
    });
    opened.push(cache);
    const up = fakeUpstream(() => ({}));
    expect(await statuses(cache, 2, request('/r'), up)).toEqual(['MISS', 'HIT']);
    records.current = [];
    await eventually(async () => (await cache.fetch(request('/r'), up)).cacheStatus === 'BYPASS');
  });

  it('retries a failed policy load later', async () => {
    let attempts = 0;
    const cache = createResponseCacheWith({
      loadPolicies: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('database down');
        return [policy()];
      },
      config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: undefined },
      notifier: null,
      policyRefreshMs: 100,
    });
    opened.push(cache);
    const up = fakeUpstream(() => ({}));
    expect((await cache.fetch(request('/r'), up)).cacheStatus).toBe('BYPASS');
    await eventually(async () => (await cache.fetch(request('/r'), up)).cacheStatus === 'HIT');
  });

  it('bypasses, without failing the call, when policies cannot be loaded', async () => {
    const cache = createResponseCacheWith({
      loadPolicies: async () => {
        throw new Error('database down');
      },
      config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: undefined },
      notifier: null,
    });
    opened.push(cache);
    expect(await statuses(cache, 2)).toEqual(['BYPASS', 'BYPASS']);
  });

  it('goes on without a failing store, and leaves it alone for a while', async () => {
    let storeCalls = 0;
    const failing = async () => {
      storeCalls += 1;
      throw new Error('store down');
    };
    const errors: unknown[] = [];
    const cache = createResponseCacheWith({
      loadPolicies: async () => [policy()],
      config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: undefined },
      store: { get: failing, set: failing, delete: failing, purge: failing, close: async () => {} },
      notifier: null,
      onStoreError: (error) => errors.push(error),
    });
    opened.push(cache);
    const up = fakeUpstream(() => ({}));
    expect(await statuses(cache, 3, request('/s'), up)).toEqual(['MISS', 'MISS', 'MISS']);
    expect(up.calls).toHaveLength(3);
    expect(storeCalls).toBe(1); // the first read failed; the rest skipped the store
    await expect(cache.purge(TENANT_A, CONNECTION)).rejects.toMatchObject({ code: 'KRX_UNAVAILABLE' });
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });

  it("purges a connection's entries on the policy's invalidation events", async () => {
    const events = createEventBus();
    const cache = makeCache(
      [
        policy({ invalidationEvents: ['webhook.received'] }),
        policy({ connectionId: OTHER_CONNECTION, invalidationEvents: ['api.call.*'] }),
      ],
      { events },
    );
    const up = fakeUpstream(() => ({}));
    const other = request('/o', { connectionId: OTHER_CONNECTION });
    await cache.fetch(request('/w'), up);
    await cache.fetch(other, up);

    events.publish('webhook.received', { tenantId: TENANT_A, endpointId: 'e', endpointName: 'orders' });
    await eventually(async () => (await cache.fetch(request('/w'), up)).cacheStatus === 'MISS');
    expect((await cache.fetch(other, up)).cacheStatus).toBe('HIT');

    // An event naming a connection reaches only that connection's policies.
    events.publish('api.call.success', { tenantId: TENANT_A, connectionId: CONNECTION, executionId: 'x' });
    events.publish('webhook.received', { tenantId: TENANT_B, endpointId: 'e', endpointName: 'orders' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await cache.fetch(other, up)).cacheStatus).toBe('HIT');
    expect((await cache.fetch(request('/w'), up)).cacheStatus).toBe('HIT');

    events.publish('api.call.success', {
      tenantId: TENANT_A,
      connectionId: OTHER_CONNECTION,
      executionId: 'x',
    });
    await eventually(async () => (await cache.fetch(other, up)).cacheStatus === 'MISS');
    await events.close();
  });

  it('purges a connection when it is updated or deleted', async () => {
    const events = createEventBus();
    const cache = makeCache([policy()], { events });
    const up = fakeUpstream(() => ({}));
    await cache.fetch(request('/u'), up);
    events.publish('connection.updated', { tenantId: TENANT_A, connectionId: CONNECTION });
    await eventually(async () => (await cache.fetch(request('/u'), up)).cacheStatus === 'MISS');
    events.publish('connection.deleted', { tenantId: TENANT_A, connectionId: CONNECTION });
    await eventually(async () => (await cache.fetch(request('/u'), up)).cacheStatus === 'MISS');
    expect(cache.loads).toEqual([TENANT_A, TENANT_A]); // its policies were dropped and read again
    await events.close();
  });
});
