/**
 * Where cached responses live. One record per (tenant, connection, method, URL) under the key
 * `krx:cache:<tenant>:<connection>:<hash>`, holding the response variants (Vary) of that URL.
 * In memory: an LRU bounded in bytes. The Redis store (cache-store-redis.ts) shares it across nodes.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { StoredRecord } from './cache-http.js';

export interface CacheStore {
  get(key: string): Promise<StoredRecord | undefined>;
  /** Stores the record until `ttlMs` from now. */
  set(key: string, record: StoredRecord, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes the connection's records (those whose path `match`es, when given); returns how many. */
  purge(tenantId: string, connectionId: string, match?: (path: string) => boolean): Promise<number>;
  close(): Promise<void>;
}

export function connectionPrefix(tenantId: string, connectionId: string): string {
  return `krx:cache:${tenantId}:${connectionId}:`;
}

/** The URL is hashed: keys stay short and a URL never appears in a key listing. */
export function entryKey(tenantId: string, connectionId: string, method: string, url: string): string {
  const digest = createHash('sha256').update(`${method.toUpperCase()} ${url}`).digest('base64url');
  return `${connectionPrefix(tenantId, connectionId)}${digest}`;
}

/** Bytes a record holds, near enough for a memory bound: bodies, headers, the serialised policy. */
export function recordSize(record: StoredRecord): number {
  let size = record.path.length + 64;
  for (const variant of record.variants) {
    size += variant.body.length + 512;
    for (const [name, value] of Object.entries(variant.headers)) size += name.length + value.length + 4;
  }
  return size;
}

export function createMemoryStore(
  maxBytes: number,
  /** The seed's API_CACHE_MAX_SIZE=1000 counts responses: at most that many, within maxBytes. */
  maxEntries?: number,
): CacheStore & { readonly size: number } {
  const lru = new LRUCache<string, StoredRecord>({
    ...(maxEntries ? { max: maxEntries } : {}),
    maxSize: maxBytes,
    sizeCalculation: (record) => Math.max(1, recordSize(record)),
    allowStale: false,
  });
  return {
    get size() {
      return lru.calculatedSize;
    },
    async get(key) {
      return lru.get(key);
    },
    async set(key, record, ttlMs) {
      if (ttlMs <= 0) {
        lru.delete(key);
        return;
      }
      lru.set(key, record, { ttl: Math.ceil(ttlMs) });
    },
    async delete(key) {
      lru.delete(key);
    },
    async purge(tenantId, connectionId, match) {
      const prefix = connectionPrefix(tenantId, connectionId);
      const doomed: string[] = [];
      for (const [key, record] of lru.entries()) {
        if (key.startsWith(prefix) && (!match || match(record.path))) doomed.push(key);
      }
      let purged = 0;
      for (const key of doomed) if (lru.delete(key)) purged += 1;
      return purged;
    },
    async close() {
      lru.clear();
    },
  };
}
