/**
 * Saving custom connectors: a tenant's rows in `connectors` (connector_type `custom`), validated on
 * save, audited, and versioned — PATCH bumps the version; a connection pins the version it was
 * created with.
 */
import { and, eq, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../../platform/audit.js';
import type { Database, Tx } from '../../platform/db/client.js';
import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import { connections, connectors } from '../../platform/db/schema.js';
import { KryonixError } from '../../platform/errors.js';
import { BUILT_IN_CONNECTORS, describeAction } from '../registry.js';
import {
  bumpVersion,
  type CustomConnectorSpec,
  composeAuthSchema,
  isNewerVersion,
  validateCustomConnector,
} from './definition.js';
import { customAction, extrasOf, MAX_HISTORY, specOfRow } from './executor.js';

type ConnectorRow = typeof connectors.$inferSelect;

const BUILT_IN_IDS = BUILT_IN_CONNECTORS.map((connector) => connector.id);

export interface CustomConnectorView extends CustomConnectorSpec {
  uuid: string;
  isBuiltIn: false;
  createdAt: string;
  updatedAt: string;
}

function toView(row: ConnectorRow): CustomConnectorView {
  return {
    ...specOfRow(row),
    uuid: row.id,
    isBuiltIn: false,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function rowOf(spec: CustomConnectorSpec, previous?: ConnectorRow) {
  const history = previous
    ? [
        { ...specOfRow(previous), authSchema: previous.authSchema },
        ...(extrasOf(previous).history ?? []),
      ].slice(0, MAX_HISTORY)
    : [];
  return {
    name: spec.id,
    displayName: spec.displayName,
    description: spec.description,
    connectorType: 'custom',
    category: spec.category,
    provider: null,
    version: spec.version,
    configSchema: spec.config,
    authSchema: composeAuthSchema(spec.auth),
    supportedMethods: [...new Set(spec.actions.map((action) => action.method))],
    // The catalog reads describeAction's fields; the executor reads the whole declaration.
    endpoints: spec.actions.map((action) => ({ ...describeAction(customAction(action)), ...action })),
    transformers: {
      custom: { auth: spec.auth, ...(spec.testAction ? { testAction: spec.testAction } : {}), history },
    },
    isBuiltIn: false,
  };
}

export function createCustomConnectorService(db: Database) {
  async function ownRow(tx: Tx, tenantId: string, id: string): Promise<ConnectorRow> {
    const [row] = await tx
      .select()
      .from(connectors)
      .where(and(eq(connectors.name, id), eq(connectors.tenantId, tenantId)))
      .limit(1);
    if (row) return row;
    if (BUILT_IN_IDS.includes(id))
      throw new KryonixError('KRX_FORBIDDEN', `connector "${id}" is built in and read-only`);
    throw new KryonixError('KRX_CONNECTOR_NOT_FOUND', `custom connector "${id}" not found`);
  }

  const conflict = (id: string) => new KryonixError('KRX_CONFLICT', `a connector "${id}" exists`);

  return {
    validate: (body: unknown) => validateCustomConnector(body, BUILT_IN_IDS),

    async get(tenantId: string, id: string): Promise<CustomConnectorView> {
      return toView(await db.withTenant(tenantId, (tx) => ownRow(tx, tenantId, id)));
    },

    async create(context: RequestContext, tenantId: string, body: unknown): Promise<CustomConnectorView> {
      const spec = validateCustomConnector(body, BUILT_IN_IDS);
      try {
        return await db.withTenant(tenantId, async (tx) => {
          const [row] = await tx
            .insert(connectors)
            .values({ ...rowOf(spec), tenantId })
            .returning();
          await audit(tx, context, {
            action: 'connector.create',
            resourceType: 'connector',
            resourceId: row.id,
            details: { connector: spec.id, version: spec.version, actions: spec.actions.map((a) => a.name) },
          });
          return toView(row);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(spec.id);
        throw error;
      }
    },

    /** Merges `patch` over the stored definition, re-validates all of it, and bumps the version. */
    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: Record<string, unknown>,
    ): Promise<CustomConnectorView> {
      try {
        return await db.withTenant(tenantId, async (tx) => {
          const row = await ownRow(tx, tenantId, id);
          const current = specOfRow(row);
          const { version: asked, ...rest } = patch;
          const merged = { ...current, ...rest };
          const spec = validateCustomConnector(
            { ...merged, version: typeof asked === 'string' ? asked : bumpVersion(current.version) },
            BUILT_IN_IDS,
          );
          if (!isNewerVersion(spec.version, current.version))
            throw new KryonixError(
              'KRX_VALIDATION_FAILED',
              `/body/version: must be newer than the current version ${current.version}`,
              {
                extensions: {
                  errors: [{ path: '/body/version', message: `must be newer than ${current.version}` }],
                },
              },
            );
          const [updated] = await tx
            .update(connectors)
            .set({ ...rowOf(spec, row), updatedAt: sql`now()` })
            .where(eq(connectors.id, row.id))
            .returning();
          await audit(tx, context, {
            action: 'connector.update',
            resourceType: 'connector',
            resourceId: row.id,
            details: {
              connector: spec.id,
              from: current.version,
              version: spec.version,
              fields: Object.keys(patch),
            },
          });
          return toView(updated);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(String(patch.id));
        throw error;
      }
    },

    /** Deletes a custom connector no connection uses (409 otherwise). */
    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        const row = await ownRow(tx, tenantId, id);
        const [used] = await tx
          .select({ count: sql<number>`count(*)::int` })
          .from(connections)
          .where(eq(connections.connectorId, row.id));
        if (Number(used?.count ?? 0) > 0)
          throw new KryonixError(
            'KRX_CONFLICT',
            `connector "${id}" is used by ${used.count} connection(s); delete them first`,
          );
        await tx.delete(connectors).where(eq(connectors.id, row.id));
        await audit(tx, context, {
          action: 'connector.delete',
          resourceType: 'connector',
          resourceId: row.id,
          details: { connector: id, version: row.version },
        });
      });
    },
  };
}

export type CustomConnectorService = ReturnType<typeof createCustomConnectorService>;
