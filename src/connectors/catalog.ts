/** Reading the connector catalog: built-ins plus the tenant's custom connectors (RLS shows both). */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import { type Database, isUuid } from '../platform/db/client.js';
import { connectors } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';

type ConnectorRow = typeof connectors.$inferSelect;

export interface ConnectorView {
  id: string;
  uuid: string;
  displayName: string;
  description: string | null;
  type: string;
  category: string;
  provider: string | null;
  version: string;
  iconUrl: string | null;
  documentationUrl: string | null;
  configSchema: unknown;
  authSchema: unknown;
  supportedMethods: unknown;
  rateLimits: unknown;
  isBuiltIn: boolean;
  /** name, description, classification, idempotent, input and output schemas of each action. */
  actions: unknown[];
}

function toView(row: ConnectorRow): ConnectorView {
  return {
    id: row.name,
    uuid: row.id,
    displayName: row.displayName,
    description: row.description,
    type: row.connectorType,
    category: row.category,
    provider: row.provider,
    version: row.version,
    iconUrl: row.iconUrl,
    documentationUrl: row.documentationUrl,
    configSchema: row.configSchema,
    authSchema: row.authSchema,
    supportedMethods: row.supportedMethods,
    rateLimits: row.rateLimits,
    isBuiltIn: row.isBuiltIn,
    actions: Array.isArray(row.endpoints) ? row.endpoints : [],
  };
}

export interface CatalogQuery {
  type?: string;
  category?: string;
  provider?: string;
}

export function createCatalog(db: Database) {
  return {
    async list(tenantId: string, query: CatalogQuery): Promise<ConnectorView[]> {
      const filters: SQL[] = [eq(connectors.isActive, true)];
      if (query.type) filters.push(eq(connectors.connectorType, query.type));
      if (query.category) filters.push(eq(connectors.category, query.category));
      if (query.provider) filters.push(eq(connectors.provider, query.provider));
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select()
          .from(connectors)
          .where(and(...filters))
          .orderBy(asc(connectors.name)),
      );
      return rows.map(toView);
    },

    async get(tenantId: string, idOrName: string): Promise<ConnectorView> {
      const [row] = await db.withTenant(tenantId, (tx) =>
        tx
          .select()
          .from(connectors)
          .where(isUuid(idOrName) ? eq(connectors.id, idOrName) : eq(connectors.name, idOrName))
          .limit(1),
      );
      if (!row) throw new KryonixError('KRX_CONNECTOR_NOT_FOUND', `connector "${idOrName}" not found`);
      return toView(row);
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
