/**
 * Connections: a tenant's configured instance of a connector. Config is validated against the
 * connector's config schema and auth against its auth schema; credentials are sealed before they
 * touch the database and are never returned (responses list their field names, masked).
 */
import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, ilike, type SQL, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../platform/audit.js';
import { type EncryptedEnvelope, isEnvelope, type Sealer, sealedBinding } from '../platform/crypto.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { isUniqueViolation } from '../platform/db/pg-errors.js';
import { connectionHealthChecks, connections, connectors } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import { checkStoredPresets, type StoredTransformations } from '../transform/index.js';
import { type AuthInput, checkAuth } from './auth-check.js';
import { checkAgainstSchema } from './schema-check.js';

/** What the credentials column holds: the envelope plus the (non-secret) names of its fields. */
interface StoredCredentials extends EncryptedEnvelope {
  fields: string[];
}

export interface ConnectionInput {
  connectorId: string;
  name: string;
  description?: string | null;
  environment?: 'development' | 'staging' | 'production';
  config: Record<string, unknown>;
  authConfig?: Record<string, unknown> | null;
  credentials?: Record<string, unknown> | null;
  healthCheckInterval?: number;
  status?: 'active' | 'inactive';
  transformations?: StoredTransformations | null;
}

export type ConnectionPatch = Partial<Omit<ConnectionInput, 'connectorId'>>;

export interface ConnectionView {
  id: string;
  connectorId: string;
  connectorVersion: string;
  name: string;
  description: string | null;
  environment: string;
  config: Record<string, unknown>;
  authConfig: Record<string, unknown> | null;
  credentials: Record<string, string> | null;
  status: string;
  healthStatus: string;
  healthCheckInterval: number;
  lastHealthCheck: string | null;
  lastTested: string | null;
  transformations: StoredTransformations | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionListQuery {
  limit: number;
  cursor?: string;
  status?: string;
  connectorId?: string;
  environment?: string;
  search?: string;
}

type ConnectionRow = typeof connections.$inferSelect;
type ConnectorRow = typeof connectors.$inferSelect;

const MASK = '********';

function maskedCredentials(stored: unknown): Record<string, string> | null {
  if (!isEnvelope(stored)) return null;
  return Object.fromEntries(((stored as StoredCredentials).fields ?? []).map((field) => [field, MASK]));
}

function toView(row: ConnectionRow, connectorName: string): ConnectionView {
  return {
    id: row.id,
    connectorId: connectorName,
    connectorVersion: row.connectorVersion,
    name: row.name,
    description: row.description,
    environment: row.environment,
    config: row.config as Record<string, unknown>,
    authConfig: (row.authConfig as Record<string, unknown> | null) ?? null,
    credentials: maskedCredentials(row.credentials),
    status: row.status,
    healthStatus: row.healthStatus,
    healthCheckInterval: row.healthCheckInterval,
    lastHealthCheck: row.lastHealthCheck?.toISOString() ?? null,
    lastTested: row.lastTested?.toISOString() ?? null,
    transformations: (row.transformations as StoredTransformations | null) ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function connectionNotFound(id: string): KryonixError {
  return new KryonixError('KRX_CONNECTION_NOT_FOUND', `connection ${id} not found`);
}

async function findConnector(tx: Tx, idOrName: string): Promise<ConnectorRow> {
  const match = isUuid(idOrName) ? eq(connectors.id, idOrName) : eq(connectors.name, idOrName);
  // RLS shows built-ins and the tenant's own; a tenant's custom connector wins over a built-in namesake.
  const [row] = await tx
    .select()
    .from(connectors)
    .where(and(match, eq(connectors.isActive, true)))
    .orderBy(sql`${connectors.tenantId} IS NULL`)
    .limit(1);
  if (!row) throw new KryonixError('KRX_CONNECTOR_NOT_FOUND', `connector "${idOrName}" not found`);
  return row;
}

/** `auth` null: not checked (a patch that leaves auth alone). */
function validateAgainstConnector(connector: ConnectorRow, config: unknown, auth: AuthInput | null): void {
  const errors = [
    ...checkAgainstSchema(connector.configSchema as object, config, '/config'),
    ...(connector.authSchema && auth ? checkAuth(connector.authSchema as object, auth) : []),
  ];
  if (errors.length > 0) {
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the connection does not match the ${connector.name} connector's schema`,
      {
        extensions: { errors },
      },
    );
  }
}

/** The auth to check: none when the connection has neither settings nor secrets. */
function authInput(
  authConfig: Record<string, unknown> | null | undefined,
  credentials: Record<string, unknown> | null | undefined,
): AuthInput | null {
  return authConfig || credentials ? { authConfig, credentials } : null;
}

/** A connection as the action runner needs it: settings, connector, and decrypted secrets. */
export interface LoadedConnection {
  id: string;
  tenantId: string;
  name: string;
  status: string;
  healthStatus: string;
  connectorName: string;
  connectorVersion: string;
  /** The connector row (a tenant's custom connector is run from it). */
  connector: ConnectorRow;
  config: Record<string, unknown>;
  authConfig: Record<string, unknown> | null;
  credentials: Record<string, unknown>;
  updatedAt: string;
}

export interface HealthCheckView {
  id: string;
  kind: string;
  status: string;
  message: string;
  details: Record<string, unknown> | null;
  checkedAt: string;
}

export function createConnectionService(db: Database, sealer: Sealer, events: EventBus) {
  function seal(connectionId: string, credentials: Record<string, unknown>): StoredCredentials {
    return {
      ...sealer.seal(credentials, sealedBinding('connections', 'credentials', connectionId)),
      // `_`-prefixed entries are kept by the platform itself (cached OAuth2 tokens): not the tenant's fields.
      fields: Object.keys(credentials).filter((field) => !field.startsWith('_')),
    };
  }

  async function loadRow(tx: Tx, id: string): Promise<{ row: ConnectionRow; connector: ConnectorRow }> {
    if (!isUuid(id)) throw connectionNotFound(id);
    const [found] = await tx
      .select({ row: connections, connector: connectors })
      .from(connections)
      .innerJoin(connectors, eq(connectors.id, connections.connectorId))
      .where(eq(connections.id, id));
    if (!found) throw connectionNotFound(id);
    return found;
  }

  return {
    async list(tenantId: string, query: ConnectionListQuery): Promise<Page<ConnectionView>> {
      const filters: SQL[] = [];
      if (query.status) filters.push(eq(connections.status, query.status));
      if (query.environment) filters.push(eq(connections.environment, query.environment));
      if (query.connectorId) {
        filters.push(
          isUuid(query.connectorId)
            ? eq(connectors.id, query.connectorId)
            : eq(connectors.name, query.connectorId),
        );
      }
      if (query.search) filters.push(ilike(connections.name, `%${query.search.replace(/[%_\\]/g, '\\$&')}%`));
      const page = keyset(connections.createdAt, connections.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ row: connections, connectorName: connectors.name, cursorAt: page.at })
          .from(connections)
          .innerJoin(connectors, eq(connectors.id, connections.connectorId))
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      const flat = rows.map(({ row, connectorName, cursorAt }) => ({ ...row, connectorName, cursorAt }));
      return toPage(flat, query.limit, (row) => toView(row, row.connectorName));
    },

    async get(tenantId: string, id: string): Promise<ConnectionView> {
      const { row, connector } = await db.withTenant(tenantId, (tx) => loadRow(tx, id));
      return toView(row, connector.name);
    },

    /** The connection's test and health-check outcomes, newest first (a connection of another tenant is a 404). */
    async healthHistory(
      tenantId: string,
      id: string,
      query: { limit: number; cursor?: string },
    ): Promise<Page<HealthCheckView>> {
      const page = keyset(connectionHealthChecks.checkedAt, connectionHealthChecks.id, query.cursor);
      const rows = await db.withTenant(tenantId, async (tx) => {
        await loadRow(tx, id);
        return tx
          .select({ ...getTableColumns(connectionHealthChecks), cursorAt: page.at })
          .from(connectionHealthChecks)
          .where(and(eq(connectionHealthChecks.connectionId, id), page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1);
      });
      return toPage(rows, query.limit, (row) => ({
        id: row.id,
        kind: row.kind,
        status: row.status,
        message: row.message,
        details: row.details as Record<string, unknown> | null,
        checkedAt: row.checkedAt.toISOString(),
      }));
    },

    async create(context: RequestContext, tenantId: string, input: ConnectionInput): Promise<ConnectionView> {
      const id = randomUUID();
      try {
        const view = await db.withTenant(tenantId, async (tx) => {
          const connector = await findConnector(tx, input.connectorId);
          validateAgainstConnector(connector, input.config, authInput(input.authConfig, input.credentials));
          checkStoredPresets({ transformations: input.transformations });
          const [row] = await tx
            .insert(connections)
            .values({
              id,
              tenantId,
              connectorId: connector.id,
              connectorVersion: connector.version,
              name: input.name,
              description: input.description ?? null,
              environment: input.environment ?? 'production',
              config: input.config,
              authConfig: input.authConfig ?? null,
              credentials: input.credentials ? seal(id, input.credentials) : null,
              status: input.status ?? 'active',
              healthCheckInterval: input.healthCheckInterval ?? 300,
              transformations: input.transformations ?? null,
              createdBy: context.principal.subject,
            })
            .returning();
          await audit(tx, context, {
            action: 'connection.create',
            resourceType: 'connection',
            resourceId: id,
            details: { connector: connector.name, credentialFields: Object.keys(input.credentials ?? {}) },
          });
          return toView(row, connector.name);
        });
        events.publish('connection.created', { tenantId, connectionId: id });
        return view;
      } catch (error) {
        if (isUniqueViolation(error))
          throw new KryonixError('KRX_CONFLICT', `a connection named "${input.name}" exists`);
        throw error;
      }
    },

    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: ConnectionPatch,
    ): Promise<ConnectionView> {
      try {
        const view = await db.withTenant(tenantId, async (tx) => {
          const { row, connector } = await loadRow(tx, id);
          const authConfig =
            patch.authConfig === undefined
              ? (row.authConfig as Record<string, unknown> | null)
              : patch.authConfig;
          // New auth settings without new secrets are checked against the stored secrets: a decryption, audited.
          let credentials = patch.credentials;
          if (credentials === undefined && patch.authConfig !== undefined && isEnvelope(row.credentials)) {
            credentials = sealer.open(row.credentials, sealedBinding('connections', 'credentials', id));
            await audit(tx, context, {
              action: 'connection.credentials.decrypt',
              resourceType: 'connection',
              resourceId: id,
              details: { reason: 'validate auth update' },
            });
          }
          // Auth is checked only when the patch touches it: the stored auth was valid when saved.
          const authChanged = patch.authConfig !== undefined || patch.credentials !== undefined;
          validateAgainstConnector(
            connector,
            patch.config ?? row.config,
            authChanged ? authInput(authConfig, credentials) : null,
          );
          checkStoredPresets({ transformations: patch.transformations });
          const [updated] = await tx
            .update(connections)
            .set({
              name: patch.name,
              description: patch.description,
              environment: patch.environment,
              config: patch.config,
              authConfig: patch.authConfig,
              credentials:
                patch.credentials === undefined
                  ? undefined
                  : patch.credentials
                    ? seal(id, patch.credentials)
                    : null,
              status: patch.status,
              healthCheckInterval: patch.healthCheckInterval,
              transformations: patch.transformations,
              updatedAt: sql`now()`,
            })
            .where(eq(connections.id, id))
            .returning();
          await audit(tx, context, {
            action: 'connection.update',
            resourceType: 'connection',
            resourceId: id,
            details: { fields: Object.keys(patch) },
          });
          return toView(updated, connector.name);
        });
        events.publish('connection.updated', { tenantId, connectionId: id });
        return view;
      } catch (error) {
        if (isUniqueViolation(error))
          throw new KryonixError('KRX_CONFLICT', `a connection named "${patch.name}" exists`);
        throw error;
      }
    },

    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        if (!isUuid(id)) throw connectionNotFound(id);
        const deleted = await tx
          .delete(connections)
          .where(eq(connections.id, id))
          .returning({ id: connections.id });
        if (deleted.length === 0) throw connectionNotFound(id);
        await audit(tx, context, { action: 'connection.delete', resourceType: 'connection', resourceId: id });
      });
      events.publish('connection.deleted', { tenantId, connectionId: id });
    },

    /** A connection with its secrets decrypted (audited), for the action runner and the gateway. */
    async load(
      context: RequestContext,
      tenantId: string,
      id: string,
      reason: string,
    ): Promise<LoadedConnection> {
      return db.withTenant(tenantId, async (tx) => {
        const { row, connector } = await loadRow(tx, id);
        let credentials: Record<string, unknown> = {};
        if (isEnvelope(row.credentials)) {
          await audit(
            tx,
            context,
            {
              action: 'connection.credentials.decrypt',
              resourceType: 'connection',
              resourceId: id,
              details: { reason },
            },
            tenantId,
          );
          credentials = sealer.open<Record<string, unknown>>(
            row.credentials,
            sealedBinding('connections', 'credentials', id),
          );
        }
        return {
          id: row.id,
          tenantId,
          name: row.name,
          status: row.status,
          healthStatus: row.healthStatus,
          connectorName: connector.name,
          connectorVersion: row.connectorVersion,
          connector,
          config: row.config as Record<string, unknown>,
          authConfig: (row.authConfig as Record<string, unknown> | null) ?? null,
          credentials,
          updatedAt: row.updatedAt.toISOString(),
        };
      });
    },

    /** Re-seals credentials the platform changed itself (a refreshed OAuth2 token), audited. */
    async storeRefreshedCredentials(
      context: RequestContext,
      tenantId: string,
      id: string,
      credentials: Record<string, unknown>,
    ): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        await tx
          .update(connections)
          .set({ credentials: seal(id, credentials) })
          .where(eq(connections.id, id));
        await audit(
          tx,
          context,
          {
            action: 'connection.credentials.refresh',
            resourceType: 'connection',
            resourceId: id,
            details: { fields: Object.keys(credentials) },
          },
          tenantId,
        );
      });
      events.publish('connection.credentials_refreshed', { tenantId, connectionId: id });
    },

    /**
     * Stores a test or health-check outcome; emits `connection.health_changed` when the status moves.
     * `kind` test also sets last_tested and test_result; every kind sets last_health_check.
     */
    async recordHealth(
      tenantId: string,
      id: string,
      result: { ok: boolean; message: string; details?: Record<string, unknown> },
      kind: 'test' | 'health' | 'auth',
    ): Promise<{ previous: string; current: string; testedAt: string }> {
      const current = result.ok ? 'healthy' : 'unhealthy';
      const outcome = await db.withTenant(tenantId, async (tx) => {
        const [before] = await tx
          .select({ health: connections.healthStatus })
          .from(connections)
          .where(eq(connections.id, id));
        if (!before) throw connectionNotFound(id);
        const [after] = await tx
          .update(connections)
          .set({
            healthStatus: current,
            lastHealthCheck: sql`now()`,
            ...(kind === 'test' ? { lastTested: sql`now()`, testResult: result } : {}),
            ...(kind === 'auth' ? { testResult: result } : {}),
          })
          .where(eq(connections.id, id))
          .returning({ at: connections.lastHealthCheck });
        await tx.insert(connectionHealthChecks).values({
          tenantId,
          connectionId: id,
          kind,
          status: current,
          message: result.message,
          details: result.details ?? null,
          checkedAt: after.at ?? new Date(),
        });
        return { previous: before.health, testedAt: (after.at ?? new Date()).toISOString() };
      });
      if (outcome.previous !== current)
        events.publish('connection.health_changed', {
          tenantId,
          connectionId: id,
          previous: outcome.previous,
          current,
        });
      return { ...outcome, current };
    },

    /** The decrypted credentials, for the gateway and connectors only; every call is audited. */
    async openCredentials(
      context: RequestContext,
      tenantId: string,
      id: string,
      reason: string,
    ): Promise<Record<string, unknown> | null> {
      return db.withTenant(tenantId, async (tx) => {
        const { row } = await loadRow(tx, id);
        if (!isEnvelope(row.credentials)) return null;
        await audit(tx, context, {
          action: 'connection.credentials.decrypt',
          resourceType: 'connection',
          resourceId: id,
          details: { reason },
        });
        return sealer.open<Record<string, unknown>>(
          row.credentials,
          sealedBinding('connections', 'credentials', id),
        );
      });
    },
  };
}

export type ConnectionService = ReturnType<typeof createConnectionService>;
