/**
 * The response cache shared through Redis by two instances (two nodes). Runs when REDIS_URL is set;
 * skipped, visibly, without it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createResponseCacheWith, type ResponseCache } from '../src/gateway/cache.js';
import type { StoredRecord } from '../src/gateway/cache-http.js';
import type { CachePolicyRecord } from '../src/gateway/cache-rules.js';
import { decodeRecord, encodeRecord } from '../src/gateway/cache-store-redis.js';
import { CONNECTION, eventually, fakeUpstream, policy, request } from './cache-kit.js';

const REDIS_URL = process.env.REDIS_URL;

describe('redis cache record codec', () => {
  it('round-trips variants with binary bodies', () => {
    const body = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const record: StoredRecord = {
      path: '/bin',
      variants: [
        {
          varyNames: ['accept'],
          varyHash: 'h1',
          status: 200,
          headers: { 'content-type': 'application/octet-stream' },
          body,
          policy: { v: 1 } as never,
          expiresAt: 123,
        },
        {
          varyNames: [],
          varyHash: '',
          status: 204,
          headers: {},
          body: Buffer.alloc(0),
          policy: { v: 1 } as never,
          expiresAt: 456,
        },
      ],
    };
    const decoded = decodeRecord(encodeRecord(record));
    expect(decoded).toEqual(record);
    expect(decodeRecord(Buffer.from('garbage'))).toBeUndefined();
  });
});

const describeRedis = REDIS_URL ? describe : describe.skip;

describeRedis(
  `response cache shared through Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`,
  () => {
    const opened: ResponseCache[] = [];
    let redis: Redis;

    function node(policies: { current: CachePolicyRecord[] }, loads: string[] = []) {
      const cache = createResponseCacheWith({
        loadPolicies: async (tenantId) => {
          loads.push(tenantId);
          return policies.current;
        },
        config: { cache: { ttlSeconds: 300, maxBytes: 1024 * 1024 }, redisUrl: REDIS_URL },
      });
      opened.push(cache);
      return cache;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((cache) => cache.close()));
    });
    afterAll(async () => redis?.quit());

    // A fresh tenant per test: keys never meet another run's.
    const tenantRequest = (tenantId: string, path: string) => request(path, { tenantId });

    it('a response stored by one node is a hit on the other, with its headers and bytes', async () => {
      const policies = { current: [policy()] };
      const [a, b] = [node(policies), node(policies)];
      const tenant = randomUUID();
      const up = fakeUpstream(() => ({
        headers: { 'content-type': 'image/png' },
        body: Buffer.from([137, 80, 78, 71, 0, 255]),
      }));
      expect((await a.fetch(tenantRequest(tenant, '/img'), up)).cacheStatus).toBe('MISS');
      const hit = await b.fetch(tenantRequest(tenant, '/img'), up);
      expect(hit.cacheStatus).toBe('HIT');
      expect([...hit.response.body]).toEqual([137, 80, 78, 71, 0, 255]);
      expect(hit.response.headers['content-type']).toBe('image/png');
      expect(up.calls).toHaveLength(1);
    });

    it('revalidates on the other node with the stored validator', async () => {
      const policies = { current: [policy({ cacheStrategy: 'etag' })] };
      const [a, b] = [node(policies), node(policies)];
      const tenant = randomUUID();
      const up = fakeUpstream((c) =>
        c['if-none-match'] ? { status: 304 } : { headers: { etag: '"r1"' }, body: 'doc' },
      );
      await a.fetch(tenantRequest(tenant, '/doc'), up);
      const revalidated = await b.fetch(tenantRequest(tenant, '/doc'), up);
      expect(revalidated.cacheStatus).toBe('REVALIDATED');
      expect(revalidated.response.body.toString()).toBe('doc');
      expect(up.calls[1]).toEqual({ 'if-none-match': '"r1"' });
    });

    it('a purge on one node empties the entries for both, by connection or pattern', async () => {
      const policies = { current: [policy()] };
      const [a, b] = [node(policies), node(policies)];
      const tenant = randomUUID();
      const up = fakeUpstream(() => ({}));
      for (const path of ['/users/1', '/users/2', '/orders/1'])
        await a.fetch(tenantRequest(tenant, path), up);
      expect(await b.purge(tenant, CONNECTION, '/users/*')).toBe(2);
      expect((await a.fetch(tenantRequest(tenant, '/users/1'), up)).cacheStatus).toBe('MISS');
      expect((await a.fetch(tenantRequest(tenant, '/orders/1'), up)).cacheStatus).toBe('HIT');
      expect(await b.purge(tenant, CONNECTION)).toBe(2);
      expect((await a.fetch(tenantRequest(tenant, '/orders/1'), up)).cacheStatus).toBe('MISS');

      redis = redis ?? new Redis(REDIS_URL!);
      const keys = await redis.keys(`krx:cache:${tenant}:*`);
      expect(keys).toHaveLength(1); // what the last miss stored, under the tenant and connection prefix
      expect(keys.every((key) => key.startsWith(`krx:cache:${tenant}:${CONNECTION}:`))).toBe(true);
    });

    it('entries expire in Redis with the policy TTL', async () => {
      const policies = { current: [policy({ ttlSeconds: 1 })] };
      const [a, b] = [node(policies), node(policies)];
      const tenant = randomUUID();
      const up = fakeUpstream(() => ({}));
      await a.fetch(tenantRequest(tenant, '/t'), up);
      expect((await b.fetch(tenantRequest(tenant, '/t'), up)).cacheStatus).toBe('HIT');
      redis = redis ?? new Redis(REDIS_URL!);
      const [key] = await redis.keys(`krx:cache:${tenant}:*`);
      const pttl = await redis.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1000);
      await eventually(async () => (await b.fetch(tenantRequest(tenant, '/t'), up)).cacheStatus === 'MISS');
    });

    it('a policy change on one node drops the cached policies of the other', async () => {
      const policies = { current: [policy()] };
      const loadsB: string[] = [];
      const a = node(policies);
      const b = node(policies, loadsB);
      const tenant = randomUUID();
      const up = fakeUpstream(() => ({}));
      await new Promise((resolve) => setTimeout(resolve, 200)); // both subscribed
      expect((await b.fetch(tenantRequest(tenant, '/p'), up)).cacheStatus).toBe('MISS');
      policies.current = [];
      a.invalidate(tenant);
      await eventually(async () => (await b.fetch(tenantRequest(tenant, '/p'), up)).cacheStatus === 'BYPASS');
      expect(loadsB).toEqual([tenant, tenant]);
    });
  },
);
