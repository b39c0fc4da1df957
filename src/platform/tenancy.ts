/**
 * Tenants: created and managed by the platform owner; every other table hangs off one. The first
 * start on an empty database creates the `default` tenant and its first admin key.
 */
import { asc, count, eq, getTableColumns, sql } from 'drizzle-orm';
import { audit, type RequestContext } from './audit.js';
import { insertApiKey } from './auth/api-keys.js';
import type { Database } from './db/client.js';
import { isUniqueViolation } from './db/pg-errors.js';
import { tenants } from './db/schema.js';
import { KryonixError } from './errors.js';
import type { EventBus } from './events.js';
import { keyset, type Page, toPage } from './pagination.js';

export interface TenantSettings {
  /** CIDRs this tenant's outbound calls may reach despite the SSRF guard. */
  allowedNetworks?: string[];
}

export interface TenantView {
  id: string;
  name: string;
  slug: string;
  status: string;
  settings: TenantSettings;
  createdAt: string;
  updatedAt: string;
}

function toView(row: typeof tenants.$inferSelect): TenantView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    settings: row.settings as TenantSettings,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function createTenantService(db: Database, events: EventBus) {
  return {
    async list(): Promise<TenantView[]> {
      const rows = await db.withPlatform((tx) => tx.select().from(tenants).orderBy(asc(tenants.createdAt)));
      return rows.map(toView);
    },

    /** Tenants newest first, a page at a time (the admin API's list). */
    async page(query: { limit: number; cursor?: string }): Promise<Page<TenantView>> {
      const page = keyset(tenants.createdAt, tenants.id, query.cursor);
      const rows = await db.withPlatform((tx) =>
        tx
          .select({ ...getTableColumns(tenants), cursorAt: page.at })
          .from(tenants)
          .where(page.where)
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, toView);
    },

    async get(id: string): Promise<TenantView> {
      const [row] = await db.withPlatform((tx) => tx.select().from(tenants).where(eq(tenants.id, id)));
      if (!row) throw new KryonixError('KRX_TENANT_NOT_FOUND', `tenant ${id} not found`);
      return toView(row);
    },

    async create(
      context: RequestContext,
      input: { name: string; slug: string; settings?: TenantSettings },
    ): Promise<TenantView> {
      try {
        return await db.withPlatform(async (tx) => {
          const [row] = await tx
            .insert(tenants)
            .values({ name: input.name, slug: input.slug, settings: input.settings ?? {} })
            .returning();
          await audit(
            tx,
            context,
            { action: 'tenant.create', resourceType: 'tenant', resourceId: row.id },
            row.id,
          );
          return toView(row);
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new KryonixError('KRX_CONFLICT', `a tenant with slug "${input.slug}" exists`);
        throw error;
      }
    },

    async update(
      context: RequestContext,
      id: string,
      patch: { name?: string; status?: 'active' | 'suspended'; settings?: TenantSettings },
    ): Promise<TenantView> {
      const view = await db.withPlatform(async (tx) => {
        const [row] = await tx
          .update(tenants)
          .set({ ...patch, updatedAt: sql`now()` })
          .where(eq(tenants.id, id))
          .returning();
        if (!row) throw new KryonixError('KRX_TENANT_NOT_FOUND', `tenant ${id} not found`);
        await audit(
          tx,
          context,
          {
            action: 'tenant.update',
            resourceType: 'tenant',
            resourceId: id,
            details: { fields: Object.keys(patch) },
          },
          id,
        );
        return toView(row);
      });
      events.publish('tenant.updated', { tenantId: id });
      // A suspended tenant's cached keys must stop working now, not when the cache expires.
      events.publish('api_key.revoked', { tenantId: id, keyId: '*' });
      return view;
    },

    async createKey(
      context: RequestContext,
      tenantId: string,
      input: { name: string; role: 'admin' | 'editor' | 'viewer'; expiresAt?: Date | null },
    ) {
      await this.get(tenantId);
      return db.withPlatform(async (tx) => {
        const created = await insertApiKey(tx, { tenantId, ...input, createdBy: context.principal.subject });
        await audit(
          tx,
          context,
          {
            action: 'api_key.create',
            resourceType: 'api_key',
            resourceId: created.view.id,
            details: { role: input.role },
          },
          tenantId,
        );
        return created;
      });
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;

/**
 * On an empty database, creates the `default` tenant and an admin key for it, and returns the key
 * (to print once). Safe when several nodes start together: only the one that inserts the tenant
 * makes a key.
 */
export async function bootstrapDefaultTenant(
  db: Database,
): Promise<{ tenantId: string; adminKey: string } | null> {
  return db.withPlatform(async (tx) => {
    const [{ total }] = await tx.select({ total: count() }).from(tenants);
    if (total > 0) return null;
    const [row] = await tx
      .insert(tenants)
      .values({ name: 'Default', slug: 'default' })
      .onConflictDoNothing({ target: tenants.slug })
      .returning();
    if (!row) return null;
    const { key } = await insertApiKey(tx, {
      tenantId: row.id,
      name: 'bootstrap admin',
      role: 'admin',
      createdBy: 'bootstrap',
    });
    return { tenantId: row.id, adminKey: key };
  });
}
