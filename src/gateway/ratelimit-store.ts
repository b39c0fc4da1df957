/**
 * Counter stores for the gateway's rate limits: fixed windows aligned to the Unix epoch (UTC), so a
 * per-minute limit resets at every whole minute and a per-day limit at 00:00 UTC, the same on every
 * node. A request is admitted only if EVERY counter it touches has room for its points, and then all
 * of them are incremented; a rejected request increments nothing.
 *
 * Why not rate-limiter-flexible's stores (the library DESIGN.md names): they consume one key at a
 * time, so all-or-nothing over several rules means consume-then-reward, and between the two a
 * request that is about to be rejected holds quota that a concurrent request is refused for. With a
 * tenant rule of 20/min and a per-key rule of 10/min, 30 concurrent calls of one key and then 30 of
 * another on two nodes sharing Redis admitted 10–13 instead of 20 (measured, 5 rounds). Here:
 * - memory: check and increment run synchronously in one turn of the event loop, so nothing
 *   interleaves;
 * - Redis: one Lua script checks and increments all counters of the request atomically, using Redis'
 *   clock, so two nodes sharing Redis admit exactly the limit in total. All keys of a request share
 *   the tenant's hash tag, so the script also runs on Redis Cluster.
 */
import type { Redis } from 'ioredis';

export interface CounterRequest {
  /** Unique per (tenant, rule, partition); the store adds its own prefix. */
  readonly key: string;
  /** Hash tag for Redis Cluster: every key of one request must share it (the tenant id). */
  readonly slot: string;
  readonly limit: number;
  readonly windowMs: number;
}

export interface CounterState {
  /** Points counted in the current window: after this request when admitted, before it when not. */
  readonly count: number;
  /** Epoch ms at which the current window ends and the counter restarts. */
  readonly windowEnd: number;
  /** This counter refused the request, and it is the first refusal of the window (for events). */
  readonly firstRejection: boolean;
  readonly rejected: boolean;
}

export interface ConsumeResult {
  readonly allowed: boolean;
  /** The store's clock when it decided (Redis' own clock for the Redis store). */
  readonly now: number;
  /** In the order of the requests. */
  readonly counters: readonly CounterState[];
}

export interface CounterStore {
  consume(requests: readonly CounterRequest[], points: number): Promise<ConsumeResult>;
  close(): Promise<void>;
}

interface MemoryEntry {
  window: number;
  count: number;
  /** Window index of the last refusal reported as first. */
  notified: number;
  end: number;
}

/** One node: a Map swept of ended windows, so memory is bounded by the keys active in a window. */
export function createMemoryStore(
  options: { now?: () => number; sweepIntervalMs?: number } = {},
): CounterStore & {
  readonly size: number;
  consumeSync(requests: readonly CounterRequest[], points: number): ConsumeResult;
} {
  const now = options.now ?? Date.now;
  const entries = new Map<string, MemoryEntry>();
  const sweeper = setInterval(() => {
    const time = now();
    for (const [key, entry] of entries) if (entry.end <= time) entries.delete(key);
  }, options.sweepIntervalMs ?? 10_000);
  sweeper.unref();

  function consumeSync(requests: readonly CounterRequest[], points: number): ConsumeResult {
    const time = now();
    const current = requests.map((request) => {
      const window = Math.floor(time / request.windowMs);
      let entry = entries.get(request.key);
      if (entry === undefined || entry.window !== window) {
        entry = { window, count: 0, notified: -1, end: (window + 1) * request.windowMs };
        entries.set(request.key, entry);
      }
      return entry;
    });
    const allowed = requests.every((request, i) => current[i].count + points <= request.limit);
    const counters = requests.map((request, i): CounterState => {
      const entry = current[i];
      if (allowed) {
        entry.count += points;
        return { count: entry.count, windowEnd: entry.end, firstRejection: false, rejected: false };
      }
      const rejected = entry.count + points > request.limit;
      const firstRejection = rejected && entry.notified !== entry.window;
      if (firstRejection) entry.notified = entry.window;
      return { count: entry.count, windowEnd: entry.end, firstRejection, rejected };
    });
    return { allowed, now: time, counters };
  }

  return {
    get size() {
      return entries.size;
    },
    consumeSync,
    async consume(requests, points) {
      return consumeSync(requests, points);
    },
    async close() {
      clearInterval(sweeper);
      entries.clear();
    },
  };
}

/**
 * KEYS: one hash per counter {w = window index, c = count, e = window index of the last reported
 * refusal}. ARGV: points, then limit and window ms per key. Returns allowed, now, then per key:
 * count, window end, rejected, first refusal of the window. Keys expire at their window's end.
 */
const CONSUME_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local points = tonumber(ARGV[1])
local n = #KEYS
local windows, counts, ends, limits = {}, {}, {}, {}
local allowed = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local w = tonumber(ARGV[2 * i + 1])
  local idx = math.floor(now / w)
  local stored = redis.call('HMGET', KEYS[i], 'w', 'c')
  local c = 0
  if tonumber(stored[1]) == idx then c = tonumber(stored[2]) or 0 end
  windows[i] = idx
  counts[i] = c
  ends[i] = (idx + 1) * w
  limits[i] = limit
  if c + points > limit then allowed = 0 end
end
local out = { allowed, now }
for i = 1, n do
  local rejected = 0
  local first = 0
  if allowed == 1 then
    counts[i] = counts[i] + points
    redis.call('HSET', KEYS[i], 'w', windows[i], 'c', counts[i])
    redis.call('PEXPIREAT', KEYS[i], ends[i])
  elseif counts[i] + points > limits[i] then
    rejected = 1
    if tonumber(redis.call('HGET', KEYS[i], 'e')) ~= windows[i] then
      first = 1
      redis.call('HSET', KEYS[i], 'e', windows[i])
      redis.call('PEXPIREAT', KEYS[i], ends[i])
    end
  end
  out[#out + 1] = counts[i]
  out[#out + 1] = ends[i]
  out[#out + 1] = rejected
  out[#out + 1] = first
end
return out
`;

type ScriptedRedis = Redis & {
  krxRateLimitConsume(numberOfKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

/** Many nodes: exact totals through one atomic script per request. */
export function createRedisStore(redis: Redis, prefix = 'krx:rl'): CounterStore {
  const scripted = redis as ScriptedRedis;
  if (typeof scripted.krxRateLimitConsume !== 'function') {
    redis.defineCommand('krxRateLimitConsume', { lua: CONSUME_SCRIPT });
  }
  return {
    async consume(requests, points) {
      const keys = requests.map((request) => `${prefix}:{${request.slot}}:${request.key}`);
      const args = requests.flatMap((request) => [request.limit, request.windowMs]);
      const reply = await scripted.krxRateLimitConsume(keys.length, ...keys, points, ...args);
      const counters = requests.map((_, i): CounterState => {
        const at = 2 + i * 4;
        return {
          count: Number(reply[at]),
          windowEnd: Number(reply[at + 1]),
          rejected: reply[at + 2] === 1,
          firstRejection: reply[at + 3] === 1,
        };
      });
      return { allowed: reply[0] === 1, now: Number(reply[1]), counters };
    },
    async close() {
      // The connection belongs to the caller.
    },
  };
}
