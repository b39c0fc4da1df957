/**
 * Upstream pauses: after a provider answers 429 with Retry-After, the gateway stops calling that
 * connection until then. `pausedFor` is read on every call, so it is a Map lookup, never a round trip.
 *
 * With Redis, a pause is shared by every node: it is broadcast on a channel (each node records it in
 * its own Map, as a duration so clocks need not agree) and also stored as a key with a PX expiry, which
 * a node starting later reads once at start. Pauses only ever extend: a shorter Retry-After does not
 * cut a longer pause short.
 */
import type { PlatformRedis } from '../platform/redis.js';

export interface UpstreamPauses {
  /** Stop calls on the connection until `untilMs` (epoch ms). */
  pause(connectionId: string, untilMs: number): void;
  /** Milliseconds the connection stays paused, 0 when it is not. */
  pausedFor(connectionId: string): number;
  /** Resolves once the Redis subscription is up and earlier pauses are loaded (at once without Redis). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = 'krx:ratelimit:pause';
const KEY_PREFIX = 'krx:pause:';
/** A Retry-After beyond a day is a provider bug, not a pause to honour for ever. */
const MAX_PAUSE_MS = 86_400_000;

export function createUpstreamPauses(
  options: {
    redis?: PlatformRedis;
    now?: () => number;
    logger?: { warn(obj: object, msg: string): void };
  } = {},
): UpstreamPauses {
  const now = options.now ?? Date.now;
  const until = new Map<string, number>();
  const { redis } = options;

  function extend(connectionId: string, untilMs: number): void {
    const time = now();
    for (const [id, end] of until) if (end <= time) until.delete(id); // stays as small as the live pauses
    if (untilMs > (until.get(connectionId) ?? 0)) until.set(connectionId, untilMs);
  }

  async function join(redis: PlatformRedis): Promise<void> {
    await redis.subscribe(CHANNEL, (message) => {
      const [connectionId, ms] = message.split('|');
      const duration = Number(ms);
      if (connectionId && Number.isFinite(duration))
        extend(connectionId, now() + Math.min(duration, MAX_PAUSE_MS));
    });
    // Pauses set before this node started.
    let cursor = '0';
    do {
      const [next, keys] = await redis.command.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const ttl = await redis.command.pttl(key);
        if (ttl > 0) extend(key.slice(KEY_PREFIX.length), now() + ttl);
      }
    } while (cursor !== '0');
  }
  const ready = redis
    ? join(redis).catch((error: unknown) => {
        options.logger?.warn({ err: error }, 'upstream pauses: could not join the Redis channel');
      })
    : Promise.resolve();

  return {
    ready,
    pause(connectionId, untilMs) {
      const duration = Math.min(Math.round(untilMs - now()), MAX_PAUSE_MS);
      if (!(duration > 0)) return;
      extend(connectionId, now() + duration);
      if (redis) {
        redis.publish(CHANNEL, `${connectionId}|${duration}`);
        // GT keeps the longer of two concurrent pauses (Redis 7); SET NX covers the first one.
        redis.command
          .set(`${KEY_PREFIX}${connectionId}`, '1', 'PX', duration, 'NX')
          .then((set) =>
            set === 'OK' ? undefined : redis.command.pexpire(`${KEY_PREFIX}${connectionId}`, duration, 'GT'),
          )
          .catch(() => {}); // the broadcast already paused the running nodes
      }
    },
    pausedFor(connectionId) {
      const end = until.get(connectionId);
      if (end === undefined) return 0;
      const left = end - now();
      if (left > 0) return left;
      until.delete(connectionId);
      return 0;
    },
    async close() {
      await ready;
      until.clear();
    },
  };
}
