/** Named endpoints of a connection (the seed's connection_endpoints): stored call presets. */
import { and, eq, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../platform/audit.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { isUniqueViolation } from '../platform/db/pg-errors.js';
import { connectionEndpoints, connections } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { byName, type Page, toNamePage } from '../platform/pagination.js';
import { checkStoredPresets, type StoredTransformations } from '../transform/index.js';

export interface EndpointInput {
  endpointName: string;
  endpointUrl: string;
  httpMethod?: string;
  headers?: Record<string, string> | null;
  queryParams?: Record<string, string> | null;
  bodyTemplate?: unknown;
  responseMapping?: unknown;
  timeoutSeconds?: number;
  retryConfig?: Record<string, unknown> | null;
  rateLimitConfig?: Record<string, unknown> | null;
  transformations?: StoredTransformations | null;
  isActive?: boolean;
}

type EndpointRow = typeof connectionEndpoints.$inferSelect;

export interface EndpointView extends Omit<EndpointRow, 'tenantId' | 'createdAt'> {
  createdAt: string;
}

function toView({ tenantId: _tenant, createdAt, ...rest }: EndpointRow): EndpointView {
  return { ...rest, createdAt: createdAt.toISOString() };
}

async function requireConnection(tx: Tx, connectionId: string): Promise<void> {
  const found = isUuid(connectionId)
    ? await tx.select({ id: connections.id }).from(connections).where(eq(connections.id, connectionId))
    : [];
  if (found.length === 0)
    throw new KryonixError('KRX_CONNECTION_NOT_FOUND', `connection ${connectionId} not found`);
}

function endpointNotFound(id: string): KryonixError {
  return new KryonixError('KRX_NOT_FOUND', `endpoint ${id} not found`);
}

/**
 * `events`: a change is announced as `connection.updated`, so gateways drop the connection they hold
 * (with its endpoints' compiled pipelines) on every node.
 */
export function createEndpointService(db: Database, events: EventBus) {
  const scoped = (connectionId: string, id: string) =>
    and(eq(connectionEndpoints.connectionId, connectionId), eq(connectionEndpoints.id, id));

  async function guard<T>(name: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error))
        throw new KryonixError('KRX_CONFLICT', `an endpoint named "${name}" exists on this connection`);
      throw error;
    }
  }

  const changed = (tenantId: string, connectionId: string) =>
    events.publish('connection.updated', { tenantId, connectionId });

  return {
    /** Every active endpoint of a connection, for the gateway to match calls against. */
    active(tenantId: string, connectionId: string): Promise<EndpointRow[]> {
      return db.withTenant(tenantId, (tx) =>
        tx
          .select()
          .from(connectionEndpoints)
          .where(
            and(eq(connectionEndpoints.connectionId, connectionId), eq(connectionEndpoints.isActive, true)),
          ),
      );
    },

    /** A connection's endpoints in name order, a page at a time. */
    list(
      tenantId: string,
      connectionId: string,
      query: { limit: number; cursor?: string },
    ): Promise<Page<EndpointView>> {
      const page = byName(connectionEndpoints.endpointName, connectionEndpoints.id, query.cursor);
      return db.withTenant(tenantId, async (tx) => {
        await requireConnection(tx, connectionId);
        const rows = await tx
          .select()
          .from(connectionEndpoints)
          .where(and(eq(connectionEndpoints.connectionId, connectionId), page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1);
        return toNamePage(rows, query.limit, (row) => row.endpointName, toView);
      });
    },

    get(tenantId: string, connectionId: string, id: string): Promise<EndpointView> {
      return db.withTenant(tenantId, async (tx) => {
        await requireConnection(tx, connectionId);
        const [row] = isUuid(id)
          ? await tx.select().from(connectionEndpoints).where(scoped(connectionId, id))
          : [];
        if (!row) throw endpointNotFound(id);
        return toView(row);
      });
    },

    async create(
      context: RequestContext,
      tenantId: string,
      connectionId: string,
      input: EndpointInput,
    ): Promise<EndpointView> {
      checkStoredPresets(input);
      const view = await guard(input.endpointName, () =>
        db.withTenant(tenantId, async (tx) => {
          await requireConnection(tx, connectionId);
          const [row] = await tx
            .insert(connectionEndpoints)
            .values({ ...input, tenantId, connectionId })
            .returning();
          await audit(tx, context, {
            action: 'endpoint.create',
            resourceType: 'connection_endpoint',
            resourceId: row.id,
            details: { connectionId },
          });
          return toView(row);
        }),
      );
      changed(tenantId, connectionId);
      return view;
    },

    async update(
      context: RequestContext,
      tenantId: string,
      connectionId: string,
      id: string,
      patch: Partial<EndpointInput>,
    ): Promise<EndpointView> {
      checkStoredPresets(patch);
      const view = await guard(patch.endpointName, () =>
        db.withTenant(tenantId, async (tx) => {
          await requireConnection(tx, connectionId);
          const [row] = isUuid(id)
            ? await tx.update(connectionEndpoints).set(patch).where(scoped(connectionId, id)).returning()
            : [];
          if (!row) throw endpointNotFound(id);
          await tx.update(connections).set({ updatedAt: sql`now()` }).where(eq(connections.id, connectionId));
          await audit(tx, context, {
            action: 'endpoint.update',
            resourceType: 'connection_endpoint',
            resourceId: id,
            details: { fields: Object.keys(patch) },
          });
          return toView(row);
        }),
      );
      changed(tenantId, connectionId);
      return view;
    },

    async remove(context: RequestContext, tenantId: string, connectionId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        await requireConnection(tx, connectionId);
        const deleted = isUuid(id)
          ? await tx.delete(connectionEndpoints).where(scoped(connectionId, id)).returning()
          : [];
        if (deleted.length === 0) throw endpointNotFound(id);
        await audit(tx, context, {
          action: 'endpoint.delete',
          resourceType: 'connection_endpoint',
          resourceId: id,
        });
      });
      changed(tenantId, connectionId);
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;
