/**
 * `kryonix keys rotate-master`: re-seals every envelope under the current master key, in one
 * transaction, so that afterwards the previous key can be dropped. Envelopes already under the
 * current key are left alone, so an interrupted rotation can simply be run again.
 */
import { sql } from 'drizzle-orm';
import { type EncryptedEnvelope, isEnvelope, SEALED_COLUMNS, type Sealer, sealedBinding } from './crypto.js';
import type { Database } from './db/client.js';

export async function resealAll(db: Database, sealer: Sealer): Promise<number> {
  return db.withPlatform(async (tx) => {
    let resealed = 0;
    for (const { table, column } of SEALED_COLUMNS) {
      const rows = await tx.execute<{ id: string; value: unknown }>(
        sql`SELECT id, ${sql.identifier(column)} AS value FROM ${sql.identifier(table)} WHERE ${sql.identifier(column)} IS NOT NULL FOR UPDATE`,
      );
      for (const row of rows.rows) {
        if (!isEnvelope(row.value) || row.value.kid === sealer.currentKeyId) continue;
        const binding = sealedBinding(table, column, row.id);
        const envelope: EncryptedEnvelope = sealer.seal(sealer.open(row.value, binding), binding);
        // Keep the envelope's companions (such as the credential field names) beside the new seal.
        const value = { ...(row.value as object), ...envelope };
        await tx.execute(
          sql`UPDATE ${sql.identifier(table)} SET ${sql.identifier(column)} = ${JSON.stringify(value)}::jsonb WHERE id = ${row.id}`,
        );
        resealed++;
      }
    }
    return resealed;
  });
}
