/**
 * Cache policies (`cache_policies`): the admin CRUD the management API calls, and the loader the
 * response cache uses. Every change drops the tenant's cached policies (on every node) through
 * `cache.invalidate`. A policy may only name a connection of the same tenant; another tenant's is a 404.
 */
import { and, eq, getTableColumns, type SQL } from 'drizzle-orm';
import type { Config } from '../config.js';
import { audit, type RequestContext } from '../platform/audit.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { cachePolicies, connections } from '../platform/db/schema.js';
import { KryonixError, notFound } from '../platform/errors.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import type { ResponseCache } from './cache.js';
import type { CacheConditions, CachePolicyRecord, CacheStrategy } from './cache-rules.js';

export interface CachePolicyInput {
  connectionId: string;
  endpointPattern?: string | null;
  cacheStrategy?: CacheStrategy;
  ttlSeconds?: number;
  cacheConditions?: CacheConditions | null;
  invalidationEvents?: string[] | null;
  isActive?: boolean;
}

export type CachePolicyPatch = Partial<CachePolicyInput>;

export interface CachePolicyView {
  id: string;
  connectionId: string;
  endpointPattern: string | null;
  cacheStrategy: string;
  ttlSeconds: number;
  cacheConditions: CacheConditions | null;
  invalidationEvents: string[];
  isActive: boolean;
  createdAt: string;
}

export interface CachePolicyListQuery {
  limit: number;
  cursor?: string;
  connectionId?: string;
  cacheStrategy?: string;
  isActive?: boolean;
}

type Row = typeof cachePolicies.$inferSelect;

function toView(row: Row): CachePolicyView {
  return {
    id: row.id,
    connectionId: row.connectionId,
    endpointPattern: row.endpointPattern,
    cacheStrategy: row.cacheStrategy,
    ttlSeconds: row.ttlSeconds,
    cacheConditions: (row.cacheConditions as CacheConditions | null) ?? null,
    invalidationEvents: row.invalidationEvents ?? [],
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
  };
}

const policyNotFound = () => notFound('cache policy');

/** The connection exists for this tenant (RLS hides the others'), or a 404. */
export async function assertConnection(tx: Tx, connectionId: string): Promise<void> {
  const found =
    isUuid(connectionId) &&
    (await tx.select({ id: connections.id }).from(connections).where(eq(connections.id, connectionId)))
      .length > 0;
  if (!found) throw new KryonixError('KRX_CONNECTION_NOT_FOUND', `connection ${connectionId} not found`);
}

/** The tenant's active policies, as the cache compiles them. */
export async function loadActivePolicies(db: Database, tenantId: string): Promise<CachePolicyRecord[]> {
  const rows = await db.withTenant(tenantId, (tx) =>
    tx.select().from(cachePolicies).where(eq(cachePolicies.isActive, true)),
  );
  return rows.map((row) => ({
    id: row.id,
    connectionId: row.connectionId,
    endpointPattern: row.endpointPattern,
    cacheStrategy: row.cacheStrategy,
    ttlSeconds: row.ttlSeconds,
    cacheConditions: (row.cacheConditions as CacheConditions | null) ?? null,
    invalidationEvents: row.invalidationEvents,
  }));
}

export function createCachePolicyService(
  db: Database,
  config: Pick<Config, 'cache'>,
  cache: Pick<ResponseCache, 'invalidate' | 'purge'>,
) {
  const onChange = (tenantId: string) => cache.invalidate(tenantId);

  async function loadRow(tx: Tx, id: string): Promise<Row> {
    if (!isUuid(id)) throw policyNotFound();
    const [row] = await tx.select().from(cachePolicies).where(eq(cachePolicies.id, id));
    if (!row) throw policyNotFound();
    return row;
  }

  return {
    async list(tenantId: string, query: CachePolicyListQuery): Promise<Page<CachePolicyView>> {
      const filters: SQL[] = [];
      if (query.connectionId) filters.push(eq(cachePolicies.connectionId, query.connectionId));
      if (query.cacheStrategy) filters.push(eq(cachePolicies.cacheStrategy, query.cacheStrategy));
      if (query.isActive !== undefined) filters.push(eq(cachePolicies.isActive, query.isActive));
      const page = keyset(cachePolicies.createdAt, cachePolicies.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(cachePolicies), cursorAt: page.at })
          .from(cachePolicies)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, toView);
    },

    async get(tenantId: string, id: string): Promise<CachePolicyView> {
      return toView(await db.withTenant(tenantId, (tx) => loadRow(tx, id)));
    },

    async create(
      context: RequestContext,
      tenantId: string,
      input: CachePolicyInput,
    ): Promise<CachePolicyView> {
      const view = await db.withTenant(tenantId, async (tx) => {
        await assertConnection(tx, input.connectionId);
        const [row] = await tx
          .insert(cachePolicies)
          .values({
            tenantId,
            connectionId: input.connectionId,
            endpointPattern: input.endpointPattern ?? null,
            cacheStrategy: input.cacheStrategy ?? 'time_based',
            ttlSeconds: input.ttlSeconds ?? config.cache.ttlSeconds,
            cacheConditions: input.cacheConditions ?? null,
            invalidationEvents: input.invalidationEvents ?? [],
            isActive: input.isActive ?? true,
          })
          .returning();
        await audit(tx, context, {
          action: 'cache_policy.create',
          resourceType: 'cache_policy',
          resourceId: row.id,
          details: { connectionId: row.connectionId, cacheStrategy: row.cacheStrategy },
        });
        return toView(row);
      });
      onChange(tenantId);
      return view;
    },

    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: CachePolicyPatch,
    ): Promise<CachePolicyView> {
      const view = await db.withTenant(tenantId, async (tx) => {
        await loadRow(tx, id);
        if (patch.connectionId !== undefined) await assertConnection(tx, patch.connectionId);
        const [row] = await tx
          .update(cachePolicies)
          .set({
            connectionId: patch.connectionId,
            endpointPattern: patch.endpointPattern,
            cacheStrategy: patch.cacheStrategy,
            ttlSeconds: patch.ttlSeconds,
            cacheConditions: patch.cacheConditions,
            invalidationEvents: patch.invalidationEvents === null ? [] : patch.invalidationEvents,
            isActive: patch.isActive,
          })
          .where(eq(cachePolicies.id, id))
          .returning();
        await audit(tx, context, {
          action: 'cache_policy.update',
          resourceType: 'cache_policy',
          resourceId: id,
          details: { fields: Object.keys(patch) },
        });
        return toView(row);
      });
      onChange(tenantId);
      return view;
    },

    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        if (!isUuid(id)) throw policyNotFound();
        const deleted = await tx
          .delete(cachePolicies)
          .where(eq(cachePolicies.id, id))
          .returning({ id: cachePolicies.id });
        if (deleted.length === 0) throw policyNotFound();
        await audit(tx, context, {
          action: 'cache_policy.delete',
          resourceType: 'cache_policy',
          resourceId: id,
        });
      });
      onChange(tenantId);
    },

    /** Purges cached responses after checking the connection is the tenant's; audited. */
    async purge(
      context: RequestContext,
      tenantId: string,
      input: { connectionId: string; pattern?: string },
    ): Promise<number> {
      await db.withTenant(tenantId, (tx) => assertConnection(tx, input.connectionId));
      const purged = await cache.purge(tenantId, input.connectionId, input.pattern);
      await db.withTenant(tenantId, (tx) =>
        audit(tx, context, {
          action: 'cache.purge',
          resourceType: 'connection',
          resourceId: input.connectionId,
          details: { pattern: input.pattern ?? null, purged },
        }),
      );
      return purged;
    },
  };
}

export type CachePolicyService = ReturnType<typeof createCachePolicyService>;
