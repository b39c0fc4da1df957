/**
 * Platform API keys: `krx_` + 32 random bytes, shown once, stored only as a SHA-256 hash (the keys
 * are high-entropy, so a fast hash is safe and keeps the hot path cheap). Authentication is answered
 * from a short-lived in-memory cache; revocation evicts it at once (and on other nodes by event), and
 * last-used times are written in one batched UPDATE rather than one write per request.
 */
import { hash, randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { audit, type RequestContext } from '../audit.js';
import type { Database, Tx } from '../db/client.js';
import { apiKeys, tenants } from '../db/schema.js';
import type { EventBus } from '../events.js';
import type { Principal, Role } from './principal.js';

export const API_KEY_PREFIX = 'krx_';

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  // One-shot: a third of createHash().update().digest()'s time, and this runs on every call.
  return hash('sha256', key, 'hex');
}

export interface ApiKeyView {
  id: string;
  tenantId: string | null;
  name: string;
  prefix: string;
  role: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export function toApiKeyView(row: typeof apiKeys.$inferSelect): ApiKeyView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface NewApiKey {
  tenantId: string | null;
  name: string;
  role: Role;
  expiresAt?: Date | null;
  createdBy?: string | null;
}

/** Inserts a key in the given transaction and returns its one-time plaintext with its view. */
export async function insertApiKey(tx: Tx, input: NewApiKey): Promise<{ key: string; view: ApiKeyView }> {
  const key = generateApiKey();
  const [row] = await tx
    .insert(apiKeys)
    .values({
      tenantId: input.tenantId,
      name: input.name,
      role: input.role,
      prefix: key.slice(0, 12),
      keyHash: hashApiKey(key),
      expiresAt: input.expiresAt ?? null,
      createdBy: input.createdBy ?? null,
    })
    .returning();
  return { key, view: toApiKeyView(row) };
}

/** Inserts a key with its `api_key.create` audit entry: in its tenant's log, or the platform's for an owner key. */
export async function insertAuditedApiKey(
  tx: Tx,
  context: RequestContext,
  input: Omit<NewApiKey, 'createdBy'>,
): Promise<{ key: string; view: ApiKeyView }> {
  const created = await insertApiKey(tx, { ...input, createdBy: context.principal.subject });
  await audit(
    tx,
    context,
    {
      action: 'api_key.create',
      resourceType: 'api_key',
      resourceId: created.view.id,
      details: { role: input.role },
    },
    input.tenantId,
  );
  return created;
}

/** How long a node may keep answering for a key from memory: the bound on a revocation it did not hear of. */
export const API_KEY_CACHE_TTL_MS = 30_000;
const LAST_USED_FLUSH_MS = 30_000;

export interface ApiKeyAuthenticator {
  authenticate(key: string): Promise<Principal | null>;
  revoke(tenantId: string | null, keyId: string): Promise<boolean>;
  /** Writes pending last-used times and stops the flush timer. */
  close(): Promise<void>;
}

export function createApiKeyAuthenticator(db: Database, events: EventBus): ApiKeyAuthenticator {
  // Keyed by hash; `null` caches a miss briefly so a flood of bad keys does not reach the database.
  const cache = new LRUCache<string, { principal: Principal | null; keyId?: string; expiresAt?: number }>({
    max: 10_000,
    ttl: API_KEY_CACHE_TTL_MS,
  });
  const lastUsed = new Map<string, Date>();

  const unsubscribe = events.subscribe('api_key.revoked', () => cache.clear());

  async function flushLastUsed(): Promise<void> {
    if (lastUsed.size === 0) return;
    const ids = [...lastUsed.keys()];
    lastUsed.clear();
    await db.withPlatform((tx) =>
      tx
        .update(apiKeys)
        .set({ lastUsedAt: sql`now()` })
        .where(
          and(inArray(apiKeys.id, ids), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now()`))),
        ),
    );
  }
  const timer = setInterval(() => void flushLastUsed().catch(() => {}), LAST_USED_FLUSH_MS);
  timer.unref();

  return {
    async authenticate(key) {
      if (!key.startsWith(API_KEY_PREFIX) || key.length > 100) return null;
      const hash = hashApiKey(key);
      let entry = cache.get(hash);
      if (!entry) {
        const rows = await db.withPlatform((tx) =>
          tx
            .select({ key: apiKeys, tenantStatus: tenants.status })
            .from(apiKeys)
            .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
            .where(eq(apiKeys.keyHash, hash))
            .limit(1),
        );
        const row = rows[0];
        const usable =
          row && !row.key.revokedAt && (row.key.tenantId === null || row.tenantStatus === 'active');
        entry = usable
          ? {
              principal: {
                kind: 'api_key',
                subject: row.key.id,
                tenantId: row.key.tenantId,
                role: row.key.role as Role,
              },
              keyId: row.key.id,
              expiresAt: row.key.expiresAt?.getTime(),
            }
          : { principal: null };
        cache.set(hash, entry);
      }
      if (!entry.principal || (entry.expiresAt !== undefined && entry.expiresAt <= Date.now())) return null;
      lastUsed.set(entry.keyId!, new Date());
      return entry.principal;
    },
    async revoke(tenantId, keyId) {
      const revoked = await db.withPlatform((tx) =>
        tx
          .update(apiKeys)
          .set({ revokedAt: sql`now()` })
          .where(
            and(
              eq(apiKeys.id, keyId),
              tenantId === null ? isNull(apiKeys.tenantId) : eq(apiKeys.tenantId, tenantId),
              isNull(apiKeys.revokedAt),
            ),
          )
          .returning({ id: apiKeys.id }),
      );
      if (revoked.length > 0) events.publish('api_key.revoked', { tenantId, keyId });
      return revoked.length > 0;
    },
    async close() {
      clearInterval(timer);
      unsubscribe();
      await flushLastUsed().catch(() => {});
    },
  };
}
