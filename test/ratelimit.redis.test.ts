/**
 * The rate limiter on Redis, as two gateway nodes would use it: two independent limiter instances
 * (own connections, own event buses, own rule caches) sharing one Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createRateLimiter, type GatewayRateLimiter } from '../src/gateway/ratelimit.js';
import type { RejectionLog } from '../src/gateway/ratelimit-log.js';
import type { compileRule } from '../src/gateway/ratelimit-rules.js';
import { createEventBus, type PlatformEvent } from '../src/platform/events.js';

type RuleRow = Parameters<typeof compileRule>[0];
const LONG = 2_678_400;

const REDIS_URL = process.env.REDIS_URL;
const describeRedis = REDIS_URL ? describe : describe.skip;

const prefix = `krx:test:${randomUUID()}`;
const nodes: GatewayRateLimiter[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
});

const silentLog: RejectionLog = {
  record: () => {},
  flush: async () => {},
  buffered: 0,
  dropped: 0,
  close: async () => {},
};

/** A node: its own limiter, event bus and rule reads (counted), sharing Redis with the others. */
async function node(rules: (tenantId: string) => RuleRow[], maxRequests = 0) {
  const events = createEventBus();
  const exceeded: PlatformEvent[] = [];
  events.subscribe('rate_limit.exceeded', (event) => {
    exceeded.push(event);
  });
  let loads = 0;
  const limiter = await createRateLimiter({
    db: {} as never,
    events,
    config: { rateLimit: { windowMs: 60_000, maxRequests }, redisUrl: REDIS_URL },
    options: {
      redisKeyPrefix: prefix,
      rejectionLog: silentLog,
      loadRules: async (tenantId) => {
        loads++;
        return rules(tenantId);
      },
    },
  });
  nodes.push(limiter);
  return { limiter, exceeded, loads: () => loads };
}

function rule(fields: Partial<RuleRow> & Pick<RuleRow, 'resourceType' | 'limitValue'>): RuleRow {
  return {
    id: randomUUID(),
    connectionId: null,
    resourceId: null,
    // A 31-day window aligned to the epoch: no test run straddles a window boundary.
    limitType: 'requests',
    windowSeconds: LONG,
    ...fields,
  };
}

const subject = (tenantId: string, apiKeyId = 'key-1') => ({
  tenantId,
  apiKeyId,
  connectionId: null,
  endpoint: null,
});

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeRedis(
  `rate limiter on Redis, two nodes${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`,
  () => {
    it('admits exactly the limit in total under concurrent load on two nodes', async () => {
      const limit = rule({ resourceType: 'tenant', limitValue: 20 });
      const a = await node(() => [limit]);
      const b = await node(() => [limit]);
      expect(a.limiter.store).toBe('redis');
      const tenant = randomUUID();
      const decisions = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).limiter.check(subject(tenant))),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
      // Rejections consumed nothing: the window still reports 0 left, not a negative backlog.
      const next = await a.limiter.check(subject(tenant));
      expect(next.allowed).toBe(false);
      expect(next.headers.RateLimit).toMatch(/;r=0;t=\d+$/);
      expect(Number(next.headers['Retry-After'])).toBeGreaterThan(0);
    });

    it('is all-or-nothing over several rules across nodes (the case consume-then-reward gets wrong)', async () => {
      const rules = [
        rule({ resourceType: 'tenant', limitValue: 20 }),
        rule({ resourceType: 'api_key', limitValue: 10 }),
      ];
      const a = await node(() => rules);
      const b = await node(() => rules);
      const tenant = randomUUID();
      const decisions = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? a : b).limiter.check(subject(tenant, i < 30 ? 'key-a' : 'key-b')),
        ),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
      expect(decisions.slice(0, 30).filter((d) => d.allowed)).toHaveLength(10);
    });

    it('counts batch points exactly across nodes', async () => {
      const limit = rule({ resourceType: 'tenant', limitValue: 20 });
      const a = await node(() => [limit]);
      const b = await node(() => [limit]);
      const tenant = randomUUID();
      const decisions = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).limiter.check(subject(tenant), 3)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(6); // 18 of 20; 3 more do not fit
      expect((await a.limiter.check(subject(tenant), 2)).allowed).toBe(true);
      expect((await b.limiter.check(subject(tenant), 1)).allowed).toBe(false);
    });

    it('reports one rate_limit.exceeded per rule, subject and window across nodes', async () => {
      const limit = rule({ resourceType: 'tenant', limitValue: 1 });
      const a = await node(() => [limit]);
      const b = await node(() => [limit]);
      const tenant = randomUUID();
      await a.limiter.check(subject(tenant));
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).limiter.check(subject(tenant))));
      expect(a.exceeded.length + b.exceeded.length).toBe(1);
    });

    it('invalidates cached rules on every node through pub/sub', async () => {
      let value = 1;
      const id = randomUUID();
      const rules = () => [rule({ id, resourceType: 'tenant', limitValue: value })];
      const a = await node(rules);
      const b = await node(rules);
      const tenant = randomUUID();
      await a.limiter.check(subject(tenant));
      expect((await b.limiter.check(subject(tenant))).allowed).toBe(false);
      value = 5;
      a.limiter.invalidate(tenant);
      await eventually(async () => (await b.limiter.check(subject(tenant))).allowed);
      expect(b.loads()).toBe(2);
    });

    it('shares upstream pauses with running nodes and with nodes that start later', async () => {
      const a = await node(() => []);
      const b = await node(() => []);
      await Promise.all([a.limiter.pauses.ready, b.limiter.pauses.ready]);
      const connection = randomUUID();
      a.limiter.pauses.pause(connection, Date.now() + 30_000);
      expect(a.limiter.pauses.pausedFor(connection)).toBeGreaterThan(29_000);
      await eventually(() => b.limiter.pauses.pausedFor(connection) > 0);
      expect(b.limiter.pauses.pausedFor(connection)).toBeLessThanOrEqual(30_000);
      const c = await node(() => []);
      await c.limiter.pauses.ready;
      expect(c.limiter.pauses.pausedFor(connection)).toBeGreaterThan(25_000);
    });
  },
);
