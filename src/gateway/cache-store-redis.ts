/**
 * The response cache in Redis, shared by every node. A record is one binary value (a JSON head with
 * the metadata, then the bodies) stored with PX = how long it may still be served or revalidated.
 * Each connection keeps an index hash (`krx:cache-index:<tenant>:<connection>`: entry key → path)
 * so a purge by connection or pattern touches only that connection's keys, never a keyspace SCAN.
 * Index fields of entries that expired on their own are removed by the next purge.
 */
import { Redis } from 'ioredis';
import type { StoredRecord, StoredVariant } from './cache-http.js';
import type { CacheStore } from './cache-store.js';

const CODEC_VERSION = 1;
const PURGE_CHUNK = 500;

/** SET the entry, index it, and stretch the index's expiry to cover it, in one step. */
const SET_AND_INDEX = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], KEYS[1], ARGV[3])
local ttl = redis.call('PTTL', KEYS[2])
if ttl == -1 or (ttl >= 0 and ttl < tonumber(ARGV[2])) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1`;

export function indexKey(entryKey: string): string {
  // entry keys are krx:cache:<tenant>:<connection>:<hash>
  const [, , tenantId, connectionId] = entryKey.split(':');
  return `krx:cache-index:${tenantId}:${connectionId}`;
}

interface Head {
  v: number;
  path: string;
  variants: Array<Omit<StoredVariant, 'body'> & { bodyLength: number }>;
}

export function encodeRecord(record: StoredRecord): Buffer {
  const head: Head = {
    v: CODEC_VERSION,
    path: record.path,
    variants: record.variants.map(({ body, ...rest }) => ({ ...rest, bodyLength: body.length })),
  };
  const json = Buffer.from(JSON.stringify(head));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, ...record.variants.map((v) => v.body)]);
}

export function decodeRecord(value: Buffer): StoredRecord | undefined {
  if (value.length < 4) return undefined;
  const jsonLength = value.readUInt32BE(0);
  let head: Head;
  try {
    head = JSON.parse(value.subarray(4, 4 + jsonLength).toString('utf8')) as Head;
  } catch {
    return undefined;
  }
  if (head.v !== CODEC_VERSION) return undefined; // written by another version: a miss
  let offset = 4 + jsonLength;
  const variants: StoredVariant[] = head.variants.map(({ bodyLength, ...rest }) => {
    const body = Buffer.from(value.subarray(offset, offset + bodyLength));
    offset += bodyLength;
    return { ...rest, body };
  });
  return { path: head.path, variants };
}

type RedisWithSet = Redis & {
  krxCacheSet(entry: string, index: string, value: Buffer, px: number, path: string): Promise<number>;
};

export function createRedisStore(redisUrl: string, options: { commandTimeoutMs?: number } = {}): CacheStore {
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    enableOfflineQueue: true,
  }) as RedisWithSet;
  redis.on('error', () => {}); // each failing command reports itself; the cache then acts as a miss
  redis.defineCommand('krxCacheSet', { numberOfKeys: 2, lua: SET_AND_INDEX });

  return {
    async get(key) {
      const value = await redis.getBuffer(key);
      return value ? decodeRecord(value) : undefined;
    },
    async set(key, record, ttlMs) {
      const px = Math.ceil(ttlMs);
      if (px <= 0) {
        await redis.del(key);
        return;
      }
      await redis.krxCacheSet(key, indexKey(key), encodeRecord(record), px, record.path);
    },
    async delete(key) {
      await redis.del(key);
    },
    async purge(tenantId, connectionId, match) {
      const index = `krx:cache-index:${tenantId}:${connectionId}`;
      const entries = await redis.hgetall(index);
      const doomed = Object.entries(entries)
        .filter(([, path]) => !match || match(path))
        .map(([key]) => key);
      let purged = 0;
      for (let i = 0; i < doomed.length; i += PURGE_CHUNK) {
        const chunk = doomed.slice(i, i + PURGE_CHUNK);
        purged += await redis.del(...chunk);
        await redis.hdel(index, ...chunk);
      }
      return purged;
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
