/**
 * The built-in connectors, registered at start and upserted into the `connectors` table
 * (`is_built_in`), so the catalog API and connections reference rows like any other.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { connectors } from '../platform/db/schema.js';
import { restConnector } from './generic/rest.js';
import type { ConnectorDefinition } from './sdk.js';

export const BUILT_IN_CONNECTORS: readonly ConnectorDefinition[] = [restConnector];

export function builtInConnector(id: string): ConnectorDefinition | undefined {
  return BUILT_IN_CONNECTORS.find((connector) => connector.id === id);
}

export async function upsertBuiltInConnectors(db: Database): Promise<void> {
  await db.withPlatform(async (tx) => {
    for (const connector of BUILT_IN_CONNECTORS) {
      const row = {
        name: connector.id,
        displayName: connector.displayName,
        description: connector.description,
        connectorType: connector.type,
        category: connector.category,
        provider: connector.provider ?? null,
        version: connector.version,
        iconUrl: connector.iconUrl ?? null,
        documentationUrl: connector.docsUrl ?? null,
        configSchema: connector.config,
        authSchema: connector.auth,
        supportedMethods: connector.supportedMethods ?? null,
        rateLimits: connector.rateLimits ?? null,
        isBuiltIn: true,
      };
      await tx
        .insert(connectors)
        .values(row)
        .onConflictDoUpdate({
          target: connectors.name,
          targetWhere: sql`${connectors.tenantId} IS NULL`,
          set: { ...row, updatedAt: sql`now()` },
        });
    }
  });
}
