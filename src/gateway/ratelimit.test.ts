import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus, type PlatformEvent } from '../platform/events.js';
import { createRateLimiter, createUpstreamPauses, type GatewayRateLimiter } from './ratelimit.js';
import type { RejectionLog, RejectionRecord } from './ratelimit-log.js';
import type { compileRule } from './ratelimit-rules.js';

type RuleRow = Parameters<typeof compileRule>[0];
const LONG = 2_678_400;

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

function fakeLog() {
  const records: Array<RejectionRecord & { count: number }> = [];
  const log: RejectionLog = {
    record: (rejection, count = 1) => records.push({ ...rejection, count }),
    flush: async () => {},
    buffered: 0,
    dropped: 0,
    close: async () => {},
  };
  return { log, records };
}

const limiters: GatewayRateLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
});

async function limiterWith(
  rules: RuleRow[] | ((tenantId: string) => RuleRow[]),
  options: { maxRequests?: number; windowMs?: number } = {},
) {
  const events = createEventBus();
  const exceeded: PlatformEvent[] = [];
  events.subscribe('rate_limit.exceeded', (event) => {
    exceeded.push(event);
  });
  const { log, records } = fakeLog();
  let loads = 0;
  const limiter = await createRateLimiter({
    db: {} as never,
    events,
    config: {
      rateLimit: { windowMs: options.windowMs ?? 60_000, maxRequests: options.maxRequests ?? 0 },
      redisUrl: undefined,
    },
    options: {
      loadRules: async (tenantId) => {
        loads++;
        return typeof rules === 'function' ? rules(tenantId) : rules;
      },
      rejectionLog: log,
    },
  });
  limiters.push(limiter);
  return { limiter, events, exceeded, records, loads: () => loads };
}

const tenantId = () => randomUUID();
const subject = (
  tenant: string,
  fields: Partial<{ apiKeyId: string | null; connectionId: string | null; endpoint: string | null }> = {},
) => ({
  tenantId: tenant,
  apiKeyId: 'key-1',
  connectionId: null,
  endpoint: null,
  ...fields,
});

/** Polls until `condition` holds; fails after `timeoutMs` (no timed assertions). */
async function eventually(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('rate limiter (memory store)', () => {
  it('admits N, then rejects with RateLimit-Policy, RateLimit and Retry-After', async () => {
    const limit = rule({ resourceType: 'tenant', limitValue: 3 });
    const { limiter } = await limiterWith([limit]);
    const tenant = tenantId();
    for (const left of [2, 1, 0]) {
      const decision = await limiter.check(subject(tenant));
      expect(decision.allowed).toBe(true);
      expect(decision.ruleId).toBe(limit.id);
      expect(decision.scope).toBe('tenant');
      expect(decision.headers['RateLimit-Policy']).toBe(`"${limit.id}";q=3;w=${LONG}`);
      expect(decision.headers.RateLimit).toMatch(new RegExp(`^"${limit.id}";r=${left};t=\\d+$`));
      expect(decision.headers['Retry-After']).toBeUndefined();
    }
    const rejected = await limiter.check(subject(tenant));
    expect(rejected.allowed).toBe(false);
    expect(rejected.headers['RateLimit-Policy']).toBe(`"${limit.id}";q=3;w=${LONG}`);
    const t = Number(/;t=(\d+)$/.exec(rejected.headers.RateLimit)![1]);
    expect(rejected.headers.RateLimit).toBe(`"${limit.id}";r=0;t=${t}`);
    expect(t).toBeGreaterThanOrEqual(1);
    expect(t).toBeLessThanOrEqual(LONG);
    expect(rejected.headers['Retry-After']).toBe(String(t));
    expect(rejected.retryAfterMs).toBeGreaterThan(0);
    expect(rejected.retryAfterMs).toBeLessThanOrEqual(LONG * 1000);
  });

  it('counts nothing for rejected requests', async () => {
    const tenantRule = rule({ resourceType: 'tenant', limitValue: 5 });
    const keyRule = rule({ resourceType: 'api_key', limitValue: 2 });
    const { limiter } = await limiterWith([tenantRule, keyRule]);
    const tenant = tenantId();
    for (let i = 0; i < 2; i++) expect((await limiter.check(subject(tenant))).allowed).toBe(true);
    for (let i = 0; i < 10; i++) {
      const rejected = await limiter.check(subject(tenant));
      expect(rejected.allowed).toBe(false);
      expect(rejected.ruleId).toBe(keyRule.id);
    }
    // The tenant rule saw only the 2 admitted: another key still gets 2, and the tenant has 1 left.
    const other = { apiKeyId: 'key-2' };
    expect((await limiter.check(subject(tenant, other))).allowed).toBe(true);
    const last = await limiter.check(subject(tenant, other));
    expect(last.allowed).toBe(true);
    // Most restrictive: both have 0/1 left... key-2 has 0, tenant has 1.
    expect(last.ruleId).toBe(keyRule.id);
    expect(last.headers.RateLimit).toMatch(/;r=0;/);
    const third = await limiter.check(subject(tenant, { apiKeyId: 'key-3' }));
    expect(third.allowed).toBe(true);
    expect(third.ruleId).toBe(tenantRule.id);
    expect(third.headers.RateLimit).toMatch(/;r=0;/);
    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-4' }))).allowed).toBe(false);
  });

  it('admits again after the window ends', async () => {
    const perSecond = rule({
      resourceType: 'tenant',
      limitValue: 2,
      limitType: 'requests_per_second',
      windowSeconds: 1,
    });
    const { limiter } = await limiterWith([perSecond]);
    const tenant = tenantId();
    // Fill a window, then poll until the next one admits: its first request sees the quota restored.
    await eventually(async () => !(await limiter.check(subject(tenant))).allowed);
    let reopened: Awaited<ReturnType<typeof limiter.check>> | undefined;
    await eventually(async () => {
      reopened = await limiter.check(subject(tenant));
      return reopened.allowed;
    });
    expect(reopened!.headers.RateLimit).toBe(`"${perSecond.id}";r=1;t=1`);
    expect(reopened!.headers['RateLimit-Policy']).toBe(`"${perSecond.id}";q=2;w=1`);
  });

  it('is all-or-nothing over several rules, exact under concurrency', async () => {
    // The case consume-then-reward gets wrong: 30 calls of one key, then 30 of another, all at once.
    const { limiter } = await limiterWith([
      rule({ resourceType: 'tenant', limitValue: 20 }),
      rule({ resourceType: 'api_key', limitValue: 10 }),
    ]);
    const tenant = tenantId();
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => limiter.check(subject(tenant, { apiKeyId: i < 30 ? 'a' : 'b' }))),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    expect(decisions.slice(0, 30).filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.slice(30).filter((d) => d.allowed)).toHaveLength(10);
  });

  it('consumes batch points at once, and rejects a batch that does not fit whole', async () => {
    const { limiter } = await limiterWith([rule({ resourceType: 'tenant', limitValue: 10 })]);
    const tenant = tenantId();
    expect((await limiter.check(subject(tenant), 4)).headers.RateLimit).toMatch(/;r=6;/);
    expect((await limiter.check(subject(tenant), 4)).headers.RateLimit).toMatch(/;r=2;/);
    const tooBig = await limiter.check(subject(tenant), 3);
    expect(tooBig.allowed).toBe(false);
    expect(tooBig.headers.RateLimit).toMatch(/;r=2;/); // what is left, though not enough for 3
    const fits = await limiter.check(subject(tenant), 2);
    expect(fits.allowed).toBe(true);
    expect(fits.headers.RateLimit).toMatch(/;r=0;/);
    await expect(limiter.check(subject(tenant), 0)).rejects.toThrow(RangeError);
  });

  it('applies the platform default per API key, and skips it without a key or when 0', async () => {
    const { limiter } = await limiterWith([], { maxRequests: 2, windowMs: 60_000 });
    const tenant = tenantId();
    expect((await limiter.check(subject(tenant))).headers['RateLimit-Policy']).toBe('"default";q=2;w=60');
    expect((await limiter.check(subject(tenant))).allowed).toBe(true);
    const rejected = await limiter.check(subject(tenant));
    expect(rejected).toMatchObject({ allowed: false, ruleId: null, scope: 'default' });
    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-2' }))).allowed).toBe(true);
    expect(await limiter.check(subject(tenant, { apiKeyId: null }))).toEqual({ allowed: true, headers: {} });

    const { limiter: off } = await limiterWith([], { maxRequests: 0 });
    expect(await off.check(subject(tenant))).toEqual({ allowed: true, headers: {} });
  });

  it('matches scopes: one key, each connection, one connection, endpoint globs', async () => {
    const connA = randomUUID();
    const connB = randomUUID();
    const oneKey = rule({ resourceType: 'api_key', resourceId: 'key-9', limitValue: 1 });
    const eachConnection = rule({ resourceType: 'connection', limitValue: 2 });
    const connectionB = rule({ resourceType: 'connection', resourceId: connB, limitValue: 100 });
    const search = rule({ resourceType: 'endpoint', resourceId: '/search/*', limitValue: 1 });
    const { limiter } = await limiterWith([oneKey, eachConnection, connectionB, search]);
    const tenant = tenantId();

    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-9' }))).allowed).toBe(true);
    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-9' }))).ruleId).toBe(oneKey.id);
    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-9' }))).allowed).toBe(false);
    expect((await limiter.check(subject(tenant, { apiKeyId: 'key-1' }))).allowed).toBe(true);

    // each connection counted apart
    expect((await limiter.check(subject(tenant, { connectionId: connA }))).allowed).toBe(true);
    expect((await limiter.check(subject(tenant, { connectionId: connA }))).allowed).toBe(true);
    expect((await limiter.check(subject(tenant, { connectionId: connA }))).allowed).toBe(false);
    const b = await limiter.check(subject(tenant, { connectionId: connB }));
    expect(b.allowed).toBe(true);
    expect(b.ruleId).toBe(eachConnection.id); // 1 left beats 99 left

    // endpoint: the glob spans segments, ignores the query, and counts per connection
    const onB = { connectionId: randomUUID() };
    expect((await limiter.check(subject(tenant, { ...onB, endpoint: '/search/a/b?q=1' }))).ruleId).toBe(
      search.id,
    );
    const second = await limiter.check(subject(tenant, { ...onB, endpoint: '/search/x' }));
    expect(second).toMatchObject({ allowed: false, ruleId: search.id });
    expect((await limiter.check(subject(tenant, { ...onB, endpoint: '/searching' }))).allowed).toBe(true);
    const onC = await limiter.check(subject(tenant, { connectionId: randomUUID(), endpoint: '/search/x' }));
    expect(onC.allowed).toBe(true);
  });

  it('reports each rule, subject and window once as an event, and logs every rejection for aggregation', async () => {
    const limit = rule({ resourceType: 'api_key', limitValue: 1 });
    const { limiter, exceeded, records } = await limiterWith([limit]);
    const tenant = tenantId();
    await limiter.check(subject(tenant));
    for (let i = 0; i < 5; i++) await limiter.check(subject(tenant));
    await limiter.check(subject(tenant, { apiKeyId: 'key-2' }));
    await limiter.check(subject(tenant, { apiKeyId: 'key-2' }));
    expect(exceeded).toHaveLength(2);
    expect(exceeded[0].data).toMatchObject({
      tenantId: tenant,
      scope: 'api_key',
      ruleId: limit.id,
      apiKeyId: 'key-1',
    });
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.identifier))).toEqual(new Set(['api_key:key-1', 'api_key:key-2']));
    expect(records[0].windowEnd - records[0].windowStart).toBe(LONG * 1000);
  });

  it('reads rules once per tenant and again only after invalidate', async () => {
    let value = 1;
    const id = randomUUID();
    const { limiter, loads } = await limiterWith(() => [
      rule({ id, resourceType: 'tenant', limitValue: value }),
    ]);
    const tenant = tenantId();
    await Promise.all(Array.from({ length: 20 }, () => limiter.check(subject(tenant))));
    expect(loads()).toBe(1);
    expect((await limiter.check(subject(tenant))).allowed).toBe(false);
    value = 100;
    limiter.invalidate(tenant);
    const after = await limiter.check(subject(tenant));
    expect(after.allowed).toBe(true);
    expect(after.headers['RateLimit-Policy']).toBe(`"${id}";q=100;w=${LONG}`);
    expect(loads()).toBe(2);
  });

  it('reloads rules whose connection was deleted', async () => {
    const { limiter, events, loads } = await limiterWith([]);
    const tenant = tenantId();
    await limiter.check(subject(tenant));
    events.publish('connection.deleted', { tenantId: tenant, connectionId: randomUUID() });
    await limiter.check(subject(tenant));
    expect(loads()).toBe(2);
  });
});

describe('rate limiter when rules cannot be read', () => {
  it('keeps serving with the platform default and says so', async () => {
    const warnings: string[] = [];
    const limiter = await createRateLimiter({
      db: {} as never,
      events: createEventBus(),
      config: { rateLimit: { windowMs: 60_000, maxRequests: 1 }, redisUrl: undefined },
      logger: { warn: (_obj, msg) => warnings.push(msg) },
      options: {
        loadRules: () => {
          throw new Error('database down');
        },
        rejectionLog: fakeLog().log,
      },
    });
    limiters.push(limiter);
    const tenant = tenantId();
    expect(await limiter.check(subject(tenant))).toMatchObject({ allowed: true, scope: 'default' });
    expect((await limiter.check(subject(tenant))).allowed).toBe(false);
    expect(warnings).toEqual(['rate limit rules could not be read; using the last known']);
  });
});

describe('upstream pauses (memory)', () => {
  it('pauses a connection until the given time, extending only', async () => {
    const pauses = createUpstreamPauses();
    expect(pauses.pausedFor('c1')).toBe(0);
    pauses.pause('c1', Date.now() + 10_000);
    expect(pauses.pausedFor('c1')).toBeGreaterThan(9000);
    pauses.pause('c1', Date.now() + 1000); // shorter: ignored
    expect(pauses.pausedFor('c1')).toBeGreaterThan(9000);
    pauses.pause('c2', Date.now() - 5); // in the past: no pause
    expect(pauses.pausedFor('c2')).toBe(0);
    pauses.pause('c3', Date.now() + 50);
    await eventually(async () => pauses.pausedFor('c3') === 0);
    await pauses.close();
  });
});
