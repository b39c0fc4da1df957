/** Reading the connector catalog: built-ins plus the tenant's custom connectors (RLS shows both). */
import { type AnyColumn, and, eq, type SQL, sql } from 'drizzle-orm';
import { type Database, isUuid } from '../platform/db/client.js';
import { connectors } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import { byName, type Page, toNamePage } from '../platform/pagination.js';

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
  limit: number;
  cursor?: string;
  /** Filters, each matched whole and regardless of case (`google` finds provider `Google`). */
  type?: string;
  category?: string;
  provider?: string;
}

const sameText = (column: AnyColumn, value: string) => sql`lower(${column}) = lower(${value})`;

export function createCatalog(db: Database) {
  return {
    /** Active connectors in name order, a page at a time. */
    async list(tenantId: string, query: CatalogQuery): Promise<Page<ConnectorView>> {
      const filters: SQL[] = [eq(connectors.isActive, true)];
      if (query.type) filters.push(sameText(connectors.connectorType, query.type));
      if (query.category) filters.push(sameText(connectors.category, query.category));
      if (query.provider) filters.push(sameText(connectors.provider, query.provider));
      const page = byName(connectors.name, connectors.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select()
          .from(connectors)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toNamePage(rows, query.limit, (row) => row.name, toView);
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
