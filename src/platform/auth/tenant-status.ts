/**
 * Whether a tenant may act, for credentials that name their tenant themselves (JWTs): API keys join
 * their tenant's status in their own lookup, a JWT's `tenant_id` is only a claim. Answered from a
 * short-lived in-memory cache so the hot path does not read the database per request.
 *
 * How soon a suspension takes effect: at once on the node that made it and on every node that gets
 * its `tenant.updated` event (over Redis when REDIS_URL is set); within TENANT_STATUS_TTL_MS (30 s,
 * as the API-key cache) on a node that missed the event.
 */
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/client.js';
import { tenants } from '../db/schema.js';
import type { EventBus } from '../events.js';

export const TENANT_STATUS_TTL_MS = 30_000;

export interface TenantStatusCache {
  /** False when the tenant does not exist or is not active. */
  isActive(tenantId: string): Promise<boolean>;
  close(): void;
}

/** Reads a tenant's status from the database; undefined when there is no such tenant. */
export function tenantStatusReader(db: Database): (tenantId: string) => Promise<string | undefined> {
  return async (tenantId) => {
    const [row] = await db.withPlatform((tx) =>
      tx.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, tenantId)).limit(1),
    );
    return row?.status;
  };
}

export function createTenantStatusCache(
  readStatus: (tenantId: string) => Promise<string | undefined>,
  events: EventBus,
  ttlMs = TENANT_STATUS_TTL_MS,
): TenantStatusCache {
  // fetchMethod makes concurrent misses for one tenant share one read. A missing tenant is cached
  // too (false), so a flood of signed tokens naming random tenants does not reach the database.
  const cache = new LRUCache<string, boolean>({
    max: 10_000,
    ttl: ttlMs,
    fetchMethod: async (tenantId) => (await readStatus(tenantId)) === 'active',
  });
  const unsubscribe = events.subscribe('tenant.updated', (event) => {
    cache.delete((event.data as { tenantId: string }).tenantId);
  });

  return {
    async isActive(tenantId) {
      return (await cache.fetch(tenantId)) === true;
    },
    close() {
      unsubscribe();
      cache.clear();
    },
  };
}
