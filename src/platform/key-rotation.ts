/**
 * `kryonix keys rotate-master`: re-seals every envelope under the current master key, in one
 * transaction, so that afterwards the previous key can be dropped. Envelopes already under the
 * current key are left alone, so an interrupted rotation can simply be run again.
 */
import { sql } from 'drizzle-orm';
import { audit, type RequestContext } from './audit.js';
import { systemContext } from './auth/system.js';
import { type EncryptedEnvelope, isEnvelope, SEALED_COLUMNS, type Sealer, sealedBinding } from './crypto.js';
import type { Database, Tx } from './db/client.js';

/** Rows re-sealed, by `table.column`. */
type Counts = Record<string, number>;

export async function resealAll(
  db: Database,
  sealer: Sealer,
  context: RequestContext = systemContext('system:key-rotation'),
): Promise<number> {
  return db.withPlatform(async (tx) => {
    const byTenant = new Map<string, Counts>();
    const total: Counts = {};
    const fromKeyIds = new Set<string>();
    for (const { table, column } of SEALED_COLUMNS) {
      const rows = await tx.execute<{ id: string; tenant_id: string; value: unknown }>(
        sql`SELECT id, tenant_id, ${sql.identifier(column)} AS value FROM ${sql.identifier(table)} WHERE ${sql.identifier(column)} IS NOT NULL FOR UPDATE`,
      );
      const name = `${table}.${column}`;
      for (const row of rows.rows) {
        if (!isEnvelope(row.value) || row.value.kid === sealer.currentKeyId) continue;
        const binding = sealedBinding(table, column, row.id);
        fromKeyIds.add(row.value.kid);
        const envelope: EncryptedEnvelope = sealer.seal(sealer.open(row.value, binding), binding);
        // Keep the envelope's companions (such as the credential field names) beside the new seal.
        const value = { ...(row.value as object), ...envelope };
        await tx.execute(
          sql`UPDATE ${sql.identifier(table)} SET ${sql.identifier(column)} = ${JSON.stringify(value)}::jsonb WHERE id = ${row.id}`,
        );
        const counts = byTenant.get(row.tenant_id) ?? {};
        counts[name] = (counts[name] ?? 0) + 1;
        byTenant.set(row.tenant_id, counts);
        total[name] = (total[name] ?? 0) + 1;
      }
    }
    await auditRotation(tx, context, sealer.currentKeyId, [...fromKeyIds], byTenant, total);
    return Object.values(total).reduce((sum, count) => sum + count, 0);
  });
}

/**
 * Every decryption of a credential is audited, and the audit log is what a tenant admin reads, so a
 * rotation must show in each tenant's log whose secrets it opened. But a rotation is one act of one
 * operator over every sealed row: an entry per row would write thousands of entries that say nothing
 * more than their count (the rows are exactly "every secret not yet under the new key"), in the
 * transaction that holds every sealed row locked. So: one entry per tenant whose secrets were
 * re-sealed, with counts by column, and one platform entry (no tenant, read by the platform owner)
 * for the run, written even when nothing needed re-sealing. All in the rotation's transaction, so the
 * entries exist exactly when the re-sealing does.
 */
async function auditRotation(
  tx: Tx,
  context: RequestContext,
  keyId: string,
  fromKeyIds: string[],
  byTenant: Map<string, Counts>,
  total: Counts,
): Promise<void> {
  const entry = (resealed: Counts, extra: Record<string, unknown> = {}) => ({
    action: 'master_key.rotate',
    resourceType: 'master_key',
    resourceId: keyId,
    details: { keyId, fromKeyIds, resealed, ...extra },
  });
  for (const [tenantId, counts] of byTenant) await audit(tx, context, entry(counts), tenantId);
  await audit(tx, context, entry(total, { tenants: byTenant.size }), null);
}
