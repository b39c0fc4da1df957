/**
 * The gateway's response cache. The gateway core hands it each call with a function that reaches
 * the upstream; the cache decides, per the tenant's cache policy for the connection and endpoint
 * and the HTTP caching rules (cache-http.ts), whether to serve a stored response (HIT), revalidate
 * it (REVALIDATED on 304), or call the upstream and maybe store the answer (MISS); calls no policy
 * covers pass straight through (BYPASS). Concurrent calls that need the upstream for one key share
 * one upstream call. Policies are held in memory per tenant and dropped when they change (on every
 * node, through Redis pub/sub when REDIS_URL is set). See CACHE.md.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { Database } from '../platform/db/client.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus, PlatformEvent } from '../platform/events.js';
import {
  buildVariant,
  type CacheRequest,
  conditionalHeaders,
  type Decision,
  decide,
  findVariant,
  isCallerConditional,
  lowercaseHeaders,
  recordExpiresAt,
  refreshVariant,
  type StoredRecord,
  type StoredVariant,
  servedResponse,
  type UpstreamResponse,
  varyHashOf,
  withVariant,
} from './cache-http.js';
import { createRedisPolicyNotifier, type PolicyNotifier } from './cache-notify.js';
import { loadActivePolicies } from './cache-policies.js';
import {
  type CachePolicyRecord,
  type CompiledPolicy,
  compileGlob,
  compilePolicy,
  normalizePath,
  TenantPolicies,
} from './cache-rules.js';
import { type CacheStore, createMemoryStore, entryKey } from './cache-store.js';
import { createRedisStore } from './cache-store-redis.js';

export type { CacheRequest, UpstreamResponse } from './cache-http.js';

export type CacheStatus = 'HIT' | 'MISS' | 'REVALIDATED' | 'BYPASS';

export type FetchUpstream = (conditionalHeaders: Record<string, string>) => Promise<UpstreamResponse>;

export interface CacheResult {
  response: UpstreamResponse;
  cacheStatus: CacheStatus;
}

export interface ResponseCache {
  /**
   * Serves from cache when a policy applies and the entry is usable, revalidates stale entries with
   * If-None-Match / If-Modified-Since via `fetchUpstream(extraHeaders)`, stores cacheable responses;
   * concurrent misses for one key make ONE upstream call. No policy / non-GET|HEAD / skipCache →
   * BYPASS (fetchUpstream called once, nothing stored).
   */
  fetch(
    request: CacheRequest,
    fetchUpstream: FetchUpstream,
    options?: { skipCache?: boolean },
  ): Promise<CacheResult>;
  /** Removes the connection's entries, or those whose endpoint path matches the glob `pattern`. */
  purge(tenantId: string, connectionId: string, pattern?: string): Promise<number>;
  /** Drops the tenant's cached policies here and on the other nodes; the next call reloads them. */
  invalidate(tenantId: string): void;
  close(): Promise<void>;
}

export interface ResponseCacheOptions {
  loadPolicies(tenantId: string): Promise<CachePolicyRecord[]>;
  config: Pick<Config, 'cache' | 'redisUrl'>;
  events?: EventBus;
  /** Default: Redis when config.redisUrl is set, else memory bounded by config.cache.maxBytes. */
  store?: CacheStore;
  /** Default: Redis pub/sub when config.redisUrl is set. */
  notifier?: PolicyNotifier | null;
  /** Age at which cached policies are reloaded in the background (default 30 s). */
  policyRefreshMs?: number;
  /** Called when the store fails; the call then goes on as a miss. */
  onStoreError?: (error: unknown) => void;
}

interface PolicyEntry {
  policies: Promise<TenantPolicies>;
  loadedAt: number;
  refreshing: boolean;
}

/** A shared upstream call's outcome; `variant` is set when what it got may serve other callers. */
interface Flight {
  result: CacheResult;
  variant: StoredVariant | null;
}

const MAX_TENANTS = 10_000;
/**
 * Cached policies older than this are reloaded in the background while still in use: a safety net
 * for a missed change notification (Redis reconnecting, or several processes without Redis).
 */
const POLICY_REFRESH_MS = 30_000;
/** After a failed policy load, calls bypass the cache this long before the next try. */
const POLICY_RETRY_MS = 5_000;
const EMPTY = new TenantPolicies([]);
/** How long calls leave a failing store alone. */
const STORE_REST_MS = 5_000;

export async function createResponseCache(deps: {
  db: Database;
  events: EventBus;
  config: Config;
}): Promise<ResponseCache> {
  return createResponseCacheWith({
    loadPolicies: (tenantId) => loadActivePolicies(deps.db, tenantId),
    config: deps.config,
    events: deps.events,
  });
}

export function createResponseCacheWith(options: ResponseCacheOptions): ResponseCache {
  const { config } = options;
  const store =
    options.store ??
    // The cache's own connection selects API_CACHE_REDIS_DB (config.cache.redisUrl) when set.
    (config.redisUrl
      ? createRedisStore(config.cache.redisUrl ?? config.redisUrl)
      : createMemoryStore(config.cache.maxBytes, config.cache.maxEntries));
  const limits = { defaultTtlSeconds: config.cache.ttlSeconds, maxBytes: config.cache.maxBytes };
  const tenantPolicies = new LRUCache<string, PolicyEntry>({ max: MAX_TENANTS });
  const refreshMs = options.policyRefreshMs ?? POLICY_REFRESH_MS;
  const retryMs = Math.min(POLICY_RETRY_MS, refreshMs);
  const inFlight = new Map<string, Promise<Flight>>();
  const reportStoreError = options.onStoreError ?? (() => {});
  let closed = false;

  const notifier =
    options.notifier === undefined
      ? config.redisUrl
        ? createRedisPolicyNotifier(config.redisUrl, (tenantId) => tenantPolicies.delete(tenantId))
        : null
      : options.notifier;

  function compileAll(records: CachePolicyRecord[]): TenantPolicies {
    return new TenantPolicies(records.map((record) => compilePolicy(record, limits)));
  }

  /** In use at once; a failed load leaves the cache bypassed and is retried after POLICY_RETRY_MS. */
  function policiesFor(tenantId: string): Promise<TenantPolicies> {
    const entry = tenantPolicies.get(tenantId);
    if (entry) {
      if (!entry.refreshing && Date.now() - entry.loadedAt > refreshMs) refresh(tenantId, entry);
      return entry.policies;
    }
    const fresh: PolicyEntry = { policies: Promise.resolve(EMPTY), loadedAt: Date.now(), refreshing: false };
    fresh.policies = options.loadPolicies(tenantId).then(compileAll, () => {
      fresh.loadedAt = Date.now() - refreshMs + retryMs;
      return EMPTY;
    });
    tenantPolicies.set(tenantId, fresh);
    return fresh.policies;
  }

  function refresh(tenantId: string, entry: PolicyEntry): void {
    entry.refreshing = true;
    options.loadPolicies(tenantId).then(
      (records) => {
        // Replaced only if nothing invalidated or replaced the entry meanwhile.
        if (tenantPolicies.peek(tenantId) === entry) {
          tenantPolicies.set(tenantId, {
            policies: Promise.resolve(compileAll(records)),
            loadedAt: Date.now(),
            refreshing: false,
          });
        }
      },
      () => {
        entry.loadedAt = Date.now() - refreshMs + retryMs;
        entry.refreshing = false;
      },
    );
  }

  // After a store failure calls skip the store for a while instead of each waiting on a timeout.
  let storeRestsUntil = 0;
  const storeUsable = () => Date.now() >= storeRestsUntil;
  function storeFailed(error: unknown): void {
    storeRestsUntil = Date.now() + STORE_REST_MS;
    reportStoreError(error);
  }

  async function readRecord(key: string): Promise<StoredRecord | undefined> {
    if (!storeUsable()) return undefined;
    try {
      return await store.get(key);
    } catch (error) {
      storeFailed(error);
      return undefined;
    }
  }

  async function writeRecord(key: string, record: StoredRecord, now: number): Promise<void> {
    if (!storeUsable()) return;
    try {
      await store.set(key, record, recordExpiresAt(record) - now);
    } catch (error) {
      storeFailed(error);
    }
  }

  async function bypass(fetchUpstream: FetchUpstream): Promise<CacheResult> {
    return { response: await fetchUpstream({}), cacheStatus: 'BYPASS' };
  }

  /** RFC 9111 4.4: a successful unsafe request invalidates what is stored for its URL. */
  async function invalidateAfterUnsafe(request: CacheRequest, response: UpstreamResponse): Promise<void> {
    if (response.status < 200 || response.status >= 400) return;
    const policies = await policiesFor(request.tenantId);
    if (!policies.hasConnection(request.connectionId) || !storeUsable()) return;
    for (const method of ['GET', 'HEAD']) {
      try {
        await store.delete(entryKey(request.tenantId, request.connectionId, method, request.url));
      } catch (error) {
        storeFailed(error);
        return;
      }
    }
  }

  /** Waits for another caller's upstream call for the key; its answer when it may serve us too. */
  async function join(
    flight: Promise<Flight>,
    headers: Record<string, string>,
  ): Promise<CacheResult | undefined> {
    const variant = (await flight.catch(() => null))?.variant;
    if (variant && variant.varyHash === varyHashOf(variant.varyNames, headers)) {
      return { response: servedResponse(variant), cacheStatus: 'HIT' };
    }
    return undefined; // the shared call failed, or its answer is not for our variant
  }

  async function callUpstream(
    key: string,
    request: CacheRequest,
    headers: Record<string, string>,
    rule: CompiledPolicy,
    record: StoredRecord | undefined,
    variant: StoredVariant | undefined,
    decision: Decision | undefined,
    fetchUpstream: FetchUpstream,
  ): Promise<Flight> {
    const path = normalizePath(request.path);

    const storeFresh = async (response: UpstreamResponse): Promise<Flight> => {
      const now = Date.now();
      const built = buildVariant(request, headers, response, rule, now);
      if (typeof built === 'string') return { result: { response, cacheStatus: 'MISS' }, variant: null };
      await writeRecord(key, withVariant(record, path, built, now), now);
      return { result: { response, cacheStatus: 'MISS' }, variant: built };
    };

    if (variant && decision === 'revalidate') {
      const conditional = conditionalHeaders(variant, request);
      if (Object.keys(conditional).length > 0) {
        const response = await fetchUpstream(conditional);
        if (response.status !== 304) return storeFresh(response);
        const now = Date.now();
        const refreshed = refreshVariant(variant, request, headers, response, rule, now);
        // A 304 naming other validators: the stored body is not the current one.
        if (!refreshed) return storeFresh(await fetchUpstream({}));
        await writeRecord(key, withVariant(record, path, refreshed, now), now);
        return {
          result: { response: servedResponse(refreshed), cacheStatus: 'REVALIDATED' },
          variant: refreshed,
        };
      }
    }
    return storeFresh(await fetchUpstream({}));
  }

  async function cached(
    request: CacheRequest,
    headers: Record<string, string>,
    rule: CompiledPolicy,
    fetchUpstream: FetchUpstream,
  ): Promise<CacheResult> {
    const key = entryKey(request.tenantId, request.connectionId, request.method, request.url);
    const pending = inFlight.get(key);
    const joined = pending && (await join(pending, headers));
    if (joined) return joined;

    const record = await readRecord(key);
    const variant = findVariant(record, headers, Date.now());
    const decision = variant ? decide(variant, rule, request, headers) : undefined;
    if (variant && decision === 'fresh') return { response: servedResponse(variant), cacheStatus: 'HIT' };

    const call = () => callUpstream(key, request, headers, rule, record, variant, decision, fetchUpstream);
    const started = inFlight.get(key); // someone may have started while we read the store
    if (started) {
      const late = await join(started, headers);
      if (late) return late;
      return (await call()).result; // our own call, beside the shared one we could not use
    }
    const flight = call();
    inFlight.set(key, flight);
    try {
      return (await flight).result;
    } finally {
      if (inFlight.get(key) === flight) inFlight.delete(key);
    }
  }

  async function onEvent(event: PlatformEvent): Promise<void> {
    const data = event.data as { tenantId?: unknown; connectionId?: unknown };
    if (typeof data.tenantId !== 'string') return;
    const tenantId = data.tenantId;
    const connectionId = typeof data.connectionId === 'string' ? data.connectionId : undefined;
    if (connectionId && (event.type === 'connection.updated' || event.type === 'connection.deleted')) {
      // New credentials or base URL may change every answer; a deleted connection took its policies along.
      if (event.type === 'connection.deleted') cache.invalidate(tenantId);
      await cache.purge(tenantId, connectionId);
      return;
    }
    const policies = await policiesFor(tenantId);
    for (const target of policies.connectionsInvalidatedBy(event.type, connectionId)) {
      await cache.purge(tenantId, target);
    }
  }

  const unsubscribe = options.events?.subscribe('*', (event) => {
    if (closed) return;
    onEvent(event).catch(storeFailed);
  });

  const cache: ResponseCache = {
    async fetch(request, fetchUpstream, fetchOptions = {}) {
      const method = request.method.toUpperCase();
      const normalized = { ...request, method };
      if (closed) return bypass(fetchUpstream);
      if (method !== 'GET' && method !== 'HEAD') {
        const result = await bypass(fetchUpstream);
        await invalidateAfterUnsafe(normalized, result.response);
        return result;
      }
      const headers = lowercaseHeaders(request.headers);
      if (fetchOptions.skipCache || isCallerConditional(headers)) return bypass(fetchUpstream);
      const rule = (await policiesFor(request.tenantId)).find(request.connectionId, request.path);
      if (!rule?.methods.has(method)) return bypass(fetchUpstream);
      return cached(normalized, headers, rule, fetchUpstream);
    },

    async purge(tenantId, connectionId, pattern) {
      const glob = pattern ? compileGlob(pattern) : undefined;
      try {
        return await store.purge(
          tenantId,
          connectionId,
          glob ? (path) => glob.test(normalizePath(path)) : undefined,
        );
      } catch (error) {
        reportStoreError(error);
        throw new KryonixError(
          'KRX_UNAVAILABLE',
          'the cache store cannot be reached; the purge may be incomplete',
          {
            cause: error,
          },
        );
      }
    },

    invalidate(tenantId) {
      tenantPolicies.delete(tenantId);
      notifier?.publish(tenantId);
    },

    async close() {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      await Promise.all([store.close(), notifier?.close()]);
    },
  };
  return cache;
}
