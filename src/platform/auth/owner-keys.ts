/**
 * Key management above the tenants, for `kryonix keys ...`: platform-owner keys belong to no tenant,
 * so no tenant admin can list or revoke them through the API. Every change is audited — an owner
 * key's in the platform's own log (no tenant), a tenant key's in its tenant's.
 */
import { asc, eq, isNull, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../audit.js';
import { type Database, isUuid } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import { KryonixError } from '../errors.js';
import { type ApiKeyView, insertAuditedApiKey, toApiKeyView } from './api-keys.js';

export async function createOwnerKey(
  db: Database,
  context: RequestContext,
  input: { name: string; expiresAt?: Date | null },
): Promise<{ key: string; view: ApiKeyView }> {
  return db.withPlatform((tx) =>
    insertAuditedApiKey(tx, context, {
      tenantId: null,
      name: input.name,
      role: 'owner',
      expiresAt: input.expiresAt ?? null,
    }),
  );
}

/** A tenant's keys, or with `null` the platform-owner keys; oldest first, revoked ones included. */
export async function listKeysOf(db: Database, tenantId: string | null): Promise<ApiKeyView[]> {
  const rows = await db.withPlatform((tx) =>
    tx
      .select()
      .from(apiKeys)
      .where(tenantId === null ? isNull(apiKeys.tenantId) : eq(apiKeys.tenantId, tenantId))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)),
  );
  return rows.map(toApiKeyView);
}

/**
 * Revokes any key by id, owner or tenant. Running nodes still hold it in their authentication cache
 * until they hear `api_key.revoked` (the caller publishes it) or the cache entry expires.
 */
export async function revokeKeyById(
  db: Database,
  context: RequestContext,
  keyId: string,
): Promise<ApiKeyView> {
  if (!isUuid(keyId)) throw new KryonixError('KRX_NOT_FOUND', `no API key with id "${keyId}"`);
  return db.withPlatform(async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, keyId)).for('update');
    if (!row) throw new KryonixError('KRX_NOT_FOUND', `no API key with id "${keyId}"`);
    if (row.revokedAt)
      throw new KryonixError(
        'KRX_CONFLICT',
        `API key ${keyId} was already revoked at ${row.revokedAt.toISOString()}`,
      );
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(eq(apiKeys.id, keyId))
      .returning();
    await audit(
      tx,
      context,
      { action: 'api_key.revoke', resourceType: 'api_key', resourceId: keyId, details: { role: row.role } },
      row.tenantId,
    );
    return toApiKeyView(revoked);
  });
}
