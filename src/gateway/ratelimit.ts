/**
 * The gateway's rate limiter: the `rate_limits` rules of the caller's tenant plus the platform default
 * (RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS per API key), checked on every call.
 *
 * - Hot path: rules are cached in memory per tenant (compiled once), so a check does no database
 *   read; the API invalidates a tenant's rules on change, across nodes over Redis pub/sub, and each
 *   tenant's rules are re-read in the background every `ruleRefreshMs` in case a message was lost.
 * - Counting (ratelimit-store.ts): fixed windows aligned to the epoch; all-or-nothing over every
 *   applicable rule, so a rejected request consumes nothing; exact across nodes with Redis. If Redis
 *   fails mid-flight, the call is counted in this node's memory instead of failing it (per-node
 *   limits until Redis is back; logged once a minute).
 * - Rejections are aggregated into rate_limit_logs (ratelimit-log.ts) and reported as one
 *   `rate_limit.exceeded` event per rule, subject and window.
 * - Headers: the IETF RateLimit-Policy / RateLimit fields for the most restrictive rule (the one with
 *   the fewest requests left; on rejection the refusing rule that resets last), plus Retry-After on
 *   rejection.
 */
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { Database } from '../platform/db/client.js';
import { rateLimits } from '../platform/db/schema.js';
import type { EventBus } from '../platform/events.js';
import { connectRedis, type PlatformRedis } from '../platform/redis.js';
import { rateLimitHeaders } from './ratelimit-headers.js';
import { createRejectionLog, type RejectionLog } from './ratelimit-log.js';
import { createUpstreamPauses, type UpstreamPauses } from './ratelimit-pauses.js';
import {
  type CompiledRule,
  compileRule,
  defaultRule,
  partitionFor,
  type RateLimitSubject,
} from './ratelimit-rules.js';
import {
  type CounterRequest,
  type CounterStore,
  createMemoryStore,
  createRedisStore,
} from './ratelimit-store.js';

export type { UpstreamPauses } from './ratelimit-pauses.js';
export { createUpstreamPauses } from './ratelimit-pauses.js';
export type { RateLimitSubject } from './ratelimit-rules.js';

export interface RateLimitDecision {
  allowed: boolean;
  /** RateLimit-Policy and RateLimit (+ Retry-After when rejected); empty when no limit applies. */
  headers: Record<string, string>;
  retryAfterMs?: number;
  /** The rule reported in the headers: a rate_limits id, or null for the platform default. */
  ruleId?: string | null;
  /** Its scope: global, tenant, api_key, connection, endpoint or default. */
  scope?: string;
}

export interface GatewayRateLimiter {
  /** Consumes `points` from every applicable rule if ALL admit them; if any rejects, consumes nothing. */
  check(subject: RateLimitSubject, points?: number): Promise<RateLimitDecision>;
  /** Invalidate cached rules of a tenant (called after CRUD; also broadcast to the other nodes). */
  invalidate(tenantId: string): void;
  /** Upstream 429 pauses, shared across nodes through the same Redis when configured. */
  readonly pauses: UpstreamPauses;
  /** Writes buffered rate_limit_logs rows now (tests, shutdown). */
  flushLogs(): Promise<void>;
  readonly store: 'memory' | 'redis';
  close(): Promise<void>;
}

type RuleRow = Parameters<typeof compileRule>[0];

export interface RateLimiterOptions {
  /** Background re-read of a tenant's rules, in case an invalidation was missed. */
  ruleRefreshMs?: number;
  /** Tenants whose rules are kept in memory (least recently used are dropped). */
  maxTenants?: number;
  logFlushIntervalMs?: number;
  logMaxEntries?: number;
  /** Prefix of the Redis counter keys (tests isolate runs with it). */
  redisKeyPrefix?: string;
  /**
   * Counters kept outside this process when there is no Redis: `kryonix start --workers` passes the
   * primary's store (over IPC), so the workers' limits are exact together.
   */
  counterStore?: CounterStore;
  /** Replaces the database read of a tenant's active rules (unit tests). */
  loadRules?: (tenantId: string) => Promise<RuleRow[]>;
  /** Replaces the rate_limit_logs writer (unit tests). */
  rejectionLog?: RejectionLog;
}

export interface RateLimiterDeps {
  db: Database;
  events: EventBus;
  config: Pick<Config, 'rateLimit' | 'redisUrl'>;
  logger?: { warn(obj: object, msg: string): void };
  options?: RateLimiterOptions;
}

const CHANGED_CHANNEL = 'krx:ratelimit:changed';
/** After a failed rules read, the next attempt waits this long (meanwhile: last known rules or none). */
const RETRY_LOAD_MS = 5000;

export async function createRateLimiter(deps: RateLimiterDeps): Promise<GatewayRateLimiter> {
  const { db, events, config, logger } = deps;
  const options = deps.options ?? {};
  const refreshMs = options.ruleRefreshMs ?? 60_000;
  const fallback = createMemoryStore();
  let redis: PlatformRedis | undefined;
  let store: CounterStore = fallback;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, logger);
    store = createRedisStore(redis.command, options.redisKeyPrefix);
  } else if (options.counterStore) store = options.counterStore;
  const pauses = createUpstreamPauses({ redis, logger });
  const rejections =
    options.rejectionLog ??
    createRejectionLog(db, {
      flushIntervalMs: options.logFlushIntervalMs,
      maxEntries: options.logMaxEntries,
      logger,
    });
  const platformDefault = defaultRule(config.rateLimit);

  // --- rules, cached per tenant ---------------------------------------------------------------
  interface Cached {
    rules: CompiledRule[];
    loadedAt: number;
  }
  const cache = new LRUCache<string, Cached>({ max: options.maxTenants ?? 10_000 });
  const loading = new Map<string, Promise<CompiledRule[]>>();
  const loadRules =
    options.loadRules ??
    ((tenantId: string) =>
      db.withTenant(tenantId, (tx) => tx.select().from(rateLimits).where(eq(rateLimits.isActive, true))));

  function compileAll(tenantId: string, rows: RuleRow[]): CompiledRule[] {
    const rules: CompiledRule[] = [];
    for (const row of rows) {
      const rule = compileRule(row);
      if (rule) rules.push(rule);
      else logger?.warn({ tenantId, ruleId: row.id }, 'rate limit rule cannot be applied; ignored');
    }
    return rules;
  }

  function load(tenantId: string): Promise<CompiledRule[]> {
    // Via then(): a loader that throws synchronously (a malformed tenant id) still lands in the handler.
    const promise: Promise<CompiledRule[]> = Promise.resolve(tenantId)
      .then(loadRules)
      .then(
        (rows) => {
          const rules = compileAll(tenantId, rows);
          // An invalidation during the read superseded it: the newer read stores its own result.
          if (loading.get(tenantId) === promise) {
            cache.set(tenantId, { rules, loadedAt: Date.now() });
            loading.delete(tenantId);
          }
          return rules;
        },
        (error: unknown) => {
          if (loading.get(tenantId) === promise) loading.delete(tenantId);
          logger?.warn({ err: error, tenantId }, 'rate limit rules could not be read; using the last known');
          // Fail open on the tenant's rules (the platform default still applies) and retry soon.
          const stale = cache.get(tenantId);
          const rules = stale?.rules ?? [];
          cache.set(tenantId, { rules, loadedAt: Date.now() - refreshMs + RETRY_LOAD_MS });
          return rules;
        },
      );
    loading.set(tenantId, promise);
    return promise;
  }

  function rulesOf(tenantId: string): CompiledRule[] | Promise<CompiledRule[]> {
    const cached = cache.get(tenantId);
    if (cached) {
      if (Date.now() - cached.loadedAt > refreshMs && !loading.has(tenantId)) void load(tenantId);
      return cached.rules;
    }
    return loading.get(tenantId) ?? load(tenantId);
  }

  function invalidateLocally(tenantId: string): void {
    cache.delete(tenantId);
    loading.delete(tenantId);
  }

  if (redis) await redis.subscribe(CHANGED_CHANNEL, invalidateLocally);
  // Deleting a connection cascades to its rules.
  const unsubscribe = events.subscribe('connection.deleted', (event) => {
    invalidate((event.data as { tenantId: string }).tenantId);
  });

  function invalidate(tenantId: string): void {
    invalidateLocally(tenantId);
    redis?.publish(CHANGED_CHANNEL, tenantId);
  }

  // --- the check ------------------------------------------------------------------------------
  interface Applied {
    rule: CompiledRule;
    partition: string;
  }

  async function consume(requests: CounterRequest[], points: number) {
    if (store === fallback) return fallback.consumeSync(requests, points);
    try {
      return await store.consume(requests, points);
    } catch (error) {
      logger?.warn({ err: error }, 'rate limiter: Redis call failed; counting on this node');
      return fallback.consumeSync(requests, points);
    }
  }

  async function check(subject: RateLimitSubject, points = 1): Promise<RateLimitDecision> {
    if (!Number.isInteger(points) || points < 1) throw new RangeError(`points must be a whole number ≥ 1`);
    const pending = rulesOf(subject.tenantId);
    const rules = Array.isArray(pending) ? pending : await pending;
    const applied: Applied[] = [];
    for (const rule of rules) {
      const partition = partitionFor(rule, subject);
      if (partition !== undefined) applied.push({ rule, partition });
    }
    if (platformDefault) {
      const partition = partitionFor(platformDefault, subject);
      if (partition !== undefined) applied.push({ rule: platformDefault, partition });
    }
    if (applied.length === 0) return { allowed: true, headers: {} };

    const requests = applied.map(
      ({ rule, partition }): CounterRequest => ({
        key: `${subject.tenantId}:${rule.id}:${rule.windowMs}:${partition}`,
        slot: subject.tenantId,
        limit: rule.limit,
        windowMs: rule.windowMs,
      }),
    );
    const result = await consume(requests, points);

    // The rule to report: fewest left when admitted (ties: the later reset); on rejection, the
    // refusing rule that resets last, since the request cannot pass before then.
    let reported = -1;
    for (let i = 0; i < applied.length; i++) {
      const counter = result.counters[i];
      if (!result.allowed && !counter.rejected) continue;
      if (reported === -1) {
        reported = i;
        continue;
      }
      const best = result.counters[reported];
      const left = applied[i].rule.limit - counter.count;
      const bestLeft = applied[reported].rule.limit - best.count;
      if (
        result.allowed
          ? left < bestLeft || (left === bestLeft && counter.windowEnd > best.windowEnd)
          : counter.windowEnd > best.windowEnd
      ) {
        reported = i;
      }
    }
    const { rule } = applied[reported];
    const counter = result.counters[reported];
    const resetMs = Math.max(0, counter.windowEnd - result.now);
    const retryAfterMs = result.allowed ? undefined : Math.max(1, resetMs);
    const headers = rateLimitHeaders({
      policies: [
        { name: rule.id, quota: rule.limit, windowSeconds: Math.max(1, Math.ceil(rule.windowMs / 1000)) },
      ],
      limits: [{ policy: rule.id, remaining: rule.limit - counter.count, resetMs }],
      retryAfterMs,
    });
    if (!result.allowed) recordRejection(subject, applied, result.counters, points);
    return {
      allowed: result.allowed,
      headers,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ruleId: rule.id === 'default' ? null : rule.id,
      scope: rule.scope,
    };
  }

  function recordRejection(
    subject: RateLimitSubject,
    applied: Applied[],
    counters: readonly { rejected: boolean; firstRejection: boolean; windowEnd: number }[],
    points: number,
  ): void {
    applied.forEach(({ rule, partition }, i) => {
      const counter = counters[i];
      if (!counter.rejected) return;
      const ruleId = rule.id === 'default' ? null : rule.id;
      rejections.record(
        {
          tenantId: subject.tenantId,
          ruleId,
          identifier: partition === '' ? rule.scope : `${rule.scope}:${partition}`,
          windowStart: counter.windowEnd - rule.windowMs,
          windowEnd: counter.windowEnd,
        },
        1,
      );
      if (counter.firstRejection) {
        events.publish('rate_limit.exceeded', {
          tenantId: subject.tenantId,
          scope: rule.scope,
          ruleId,
          connectionId: subject.connectionId,
          apiKeyId: subject.apiKeyId,
          limit: rule.limit,
          windowSeconds: Math.ceil(rule.windowMs / 1000),
          points,
          resetTime: new Date(counter.windowEnd).toISOString(),
        });
      }
    });
  }

  return {
    check,
    invalidate,
    pauses,
    store: redis ? 'redis' : 'memory',
    flushLogs: () => rejections.flush(),
    async close() {
      unsubscribe();
      await rejections.close();
      await pauses.close();
      await store.close();
      await fallback.close();
      await redis?.close();
    },
  };
}
