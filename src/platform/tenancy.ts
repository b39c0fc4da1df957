/**
 * Tenants: created and managed by the platform owner; every other table hangs off one. The first
 * start on an empty database creates the `default` tenant and its first admin key.
 */
import { asc, count, eq, getTableColumns, sql } from 'drizzle-orm';
import { audit, type RequestContext } from './audit.js';
import { type ApiKeyView, insertAuditedApiKey } from './auth/api-keys.js';
import { systemContext } from './auth/system.js';
import { type Database, isUuid, type Tx } from './db/client.js';
import { isUniqueViolation } from './db/pg-errors.js';
import { tenants } from './db/schema.js';
import { KryonixError } from './errors.js';
import type { EventBus } from './events.js';
import { keyset, type Page, toPage } from './pagination.js';

/** A tenant slug: the API's schema and the command line both check it against this. */
export const TENANT_SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const SLUG = new RegExp(TENANT_SLUG_PATTERN);

/** Refuses a slug the API's schema would refuse, naming the rule (for callers that skip the schema). */
export function checkTenantSlug(slug: string): void {
  if (SLUG.test(slug)) return;
  const message = 'must be 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit';
  throw new KryonixError('KRX_VALIDATION_FAILED', `tenant slug "${slug}" ${message}`, {
    extensions: { errors: [{ path: '/slug', message }] },
  });
}

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

    /** By id or by slug, as the command line takes either. */
    async find(idOrSlug: string): Promise<TenantView> {
      const [row] = await db.withPlatform((tx) =>
        tx
          .select()
          .from(tenants)
          .where(isUuid(idOrSlug) ? eq(tenants.id, idOrSlug) : eq(tenants.slug, idOrSlug)),
      );
      if (!row) throw new KryonixError('KRX_TENANT_NOT_FOUND', `tenant "${idOrSlug}" not found`);
      return toView(row);
    },

    async create(
      context: RequestContext,
      input: { name: string; slug: string; settings?: TenantSettings },
    ): Promise<TenantView> {
      return slugConflict(input.slug, () => db.withPlatform((tx) => insertTenant(tx, context, input)));
    },

    /** A tenant and its first admin key in one transaction (`kryonix tenants create`). */
    async createWithAdminKey(
      context: RequestContext,
      input: { name: string; slug: string; settings?: TenantSettings },
      keyName: string,
    ): Promise<{ tenant: TenantView; key: string; apiKey: ApiKeyView }> {
      return slugConflict(input.slug, () =>
        db.withPlatform(async (tx) => {
          const tenant = await insertTenant(tx, context, input);
          const { key, view } = await insertAuditedApiKey(tx, context, {
            tenantId: tenant.id,
            name: keyName,
            role: 'admin',
          });
          return { tenant, key, apiKey: view };
        }),
      );
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
      return db.withPlatform((tx) => insertAuditedApiKey(tx, context, { tenantId, ...input }));
    },
  };
}

/** Inserts a tenant with its audit entry (in the new tenant's log, where its admins see it). */
async function insertTenant(
  tx: Tx,
  context: RequestContext,
  input: { name: string; slug: string; settings?: TenantSettings },
): Promise<TenantView> {
  checkTenantSlug(input.slug);
  const [row] = await tx
    .insert(tenants)
    .values({ name: input.name, slug: input.slug, settings: input.settings ?? {} })
    .returning();
  await audit(tx, context, { action: 'tenant.create', resourceType: 'tenant', resourceId: row.id }, row.id);
  return toView(row);
}

/** A taken slug is a conflict the caller can act on, not a database error. */
async function slugConflict<T>(slug: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error))
      throw new KryonixError('KRX_CONFLICT', `tenant slug "${slug}" already exists`);
    throw error;
  }
}

export type TenantService = ReturnType<typeof createTenantService>;

/**
 * On an empty database, creates the `default` tenant and an admin key for it, and returns the key
 * (to print once). Safe when several nodes start together: only the one that inserts the tenant
 * makes a key. Both are audited in the new tenant's log, by `system:bootstrap`.
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
    const context = systemContext('system:bootstrap');
    await audit(tx, context, { action: 'tenant.create', resourceType: 'tenant', resourceId: row.id }, row.id);
    const { key } = await insertAuditedApiKey(tx, context, {
      tenantId: row.id,
      name: 'bootstrap admin',
      role: 'admin',
    });
    return { tenantId: row.id, adminKey: key };
  });
}
