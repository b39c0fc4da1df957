/**
 * Locks for token refreshes: in-process always (one refresh per connection per node), and Redis on top
 * when configured (one per connection across nodes). The Redis lock is SET NX PX with a random value,
 * released only by its holder; a holder that dies frees it when the lease expires.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { KryonixError } from '../../platform/errors.js';
import type { LockProvider } from './types.js';

const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export function createLocalLocks(): LockProvider {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async withLock(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous.catch(() => {});
      try {
        return await work();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    async close() {},
  };
}

export interface RedisLockOptions {
  /** How long a lock is held at most (the refresh's own timeout should be shorter). */
  leaseMs?: number;
  /** How long to wait for another holder. */
  waitMs?: number;
  prefix?: string;
}

export function createRedisLocks(
  redisUrl: string,
  options: RedisLockOptions = {},
): LockProvider & { redis: Redis } {
  const redis = new Redis(redisUrl, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  redis.on('error', () => {}); // reported by the commands that fail
  const local = createLocalLocks();
  const leaseMs = options.leaseMs ?? 30_000;
  const waitMs = options.waitMs ?? 35_000;
  const prefix = options.prefix ?? 'krx:lock:';
  return {
    redis,
    withLock(key, work) {
      return local.withLock(key, async () => {
        const name = `${prefix}${key}`;
        const value = randomBytes(16).toString('hex');
        const deadline = Date.now() + waitMs;
        while ((await redis.set(name, value, 'PX', leaseMs, 'NX')) !== 'OK') {
          if (Date.now() > deadline)
            throw new KryonixError('KRX_UNAVAILABLE', 'timed out waiting for a token refresh lock');
          await sleep(25);
        }
        try {
          return await work();
        } finally {
          await redis.eval(RELEASE, 1, name, value).catch(() => {});
        }
      });
    },
    async close() {
      redis.disconnect();
    },
  };
}
