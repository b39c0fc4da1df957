/**
 * Managing a tenant's rate-limit rules (the `rate_limits` table) and reading its aggregated
 * rate_limit_logs. Every mutation is audited in its transaction and then invalidates the limiter's
 * cached rules of the tenant (on every node). A connection or API key of another tenant is a 404.
 *
 * The seed's current_usage / window_start columns are not maintained: counters live in memory or
 * Redis, never in a row updated per request.
 */
import { and, eq, getTableColumns, gte, lte, type SQL } from 'drizzle-orm';
import { audit, type RequestContext } from '../platform/audit.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { apiKeys, connections, rateLimitLogs, rateLimits } from '../platform/db/schema.js';
import { KryonixError, notFound } from '../platform/errors.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import {
  LIMIT_TYPES,
  type LimitType,
  MAX_WINDOW_SECONDS,
  normalizeEndpointPattern,
  type RuleScope,
} from './ratelimit-rules.js';

export interface RateLimitInput {
  resourceType: RuleScope;
  resourceId?: string | null;
  connectionId?: string | null;
  limitType: LimitType;
  limitValue: number;
  windowSeconds?: number;
  isActive?: boolean;
}

export type RateLimitPatch = Partial<RateLimitInput>;

export interface RateLimitView {
  id: string;
  resourceType: string;
  resourceId: string | null;
  connectionId: string | null;
  limitType: string;
  limitValue: number;
  windowSeconds: number;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface RateLimitListQuery {
  limit: number;
  cursor?: string;
  resourceType?: string;
  connectionId?: string;
  isActive?: boolean;
}

export interface RateLimitLogView {
  id: string;
  rateLimitId: string | null;
  resourceIdentifier: string | null;
  requestsCount: number;
  limitExceeded: boolean;
  windowStart: string;
  resetTime: string | null;
}

export interface RateLimitLogQuery {
  limit: number;
  cursor?: string;
  rateLimitId?: string;
  from?: string;
  to?: string;
}

type Row = typeof rateLimits.$inferSelect;

function toView(row: Row): RateLimitView {
  return {
    id: row.id,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    connectionId: row.connectionId,
    limitType: row.limitType,
    limitValue: row.limitValue,
    windowSeconds: row.windowSeconds,
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function invalid(path: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `${path.slice(1)}: ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

const ruleNotFound = () => notFound('rate limit');

/** The whole rule after defaults, checked as one: field rules that JSON Schema cannot say. */
function normalize(input: RateLimitInput): Required<RateLimitInput> {
  const fixedWindow = LIMIT_TYPES[input.limitType];
  let windowSeconds: number;
  if (fixedWindow === null) {
    if (input.windowSeconds === undefined)
      throw invalid('/windowSeconds', 'is required with limitType "requests"');
    windowSeconds = input.windowSeconds;
  } else {
    if (input.windowSeconds !== undefined && input.windowSeconds !== fixedWindow) {
      throw invalid(
        '/windowSeconds',
        `must be ${fixedWindow} (or omitted) with limitType "${input.limitType}"`,
      );
    }
    windowSeconds = fixedWindow;
  }
  if (windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
    throw invalid('/windowSeconds', `must be between 1 and ${MAX_WINDOW_SECONDS}`);
  }
  let resourceId = input.resourceId ?? null;
  let connectionId = input.connectionId ?? null;
  switch (input.resourceType) {
    case 'global':
    case 'tenant':
      if (resourceId !== null)
        throw invalid('/resourceId', `must be null for resourceType "${input.resourceType}"`);
      break;
    case 'api_key':
      if (resourceId !== null && !isUuid(resourceId))
        throw invalid('/resourceId', 'must be an API key id or null');
      break;
    case 'connection':
      if (resourceId !== null) {
        if (!isUuid(resourceId)) throw invalid('/resourceId', 'must be a connection id or null');
        if (connectionId !== null && connectionId !== resourceId) {
          throw invalid('/resourceId', 'names another connection than connectionId');
        }
        // One place for the connection: the column the foreign key protects.
        connectionId = resourceId;
        resourceId = null;
      }
      break;
    case 'endpoint':
      if (resourceId === null || resourceId.trim() === '') {
        throw invalid(
          '/resourceId',
          'is required for resourceType "endpoint": a path pattern such as /users/*',
        );
      }
      resourceId = normalizeEndpointPattern(resourceId);
      break;
  }
  return {
    resourceType: input.resourceType,
    resourceId,
    connectionId,
    limitType: input.limitType,
    limitValue: input.limitValue,
    windowSeconds,
    isActive: input.isActive ?? true,
  };
}

/** Referenced connection and API key must be the tenant's own (RLS hides the others: 404). */
async function checkReferences(tx: Tx, rule: Required<RateLimitInput>): Promise<void> {
  if (rule.connectionId !== null) {
    const [found] = await tx
      .select({ id: connections.id })
      .from(connections)
      .where(eq(connections.id, rule.connectionId));
    if (!found) {
      throw new KryonixError('KRX_CONNECTION_NOT_FOUND', `connection ${rule.connectionId} not found`);
    }
  }
  if (rule.resourceType === 'api_key' && rule.resourceId !== null) {
    const [found] = await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, rule.resourceId));
    if (!found) throw notFound(`API key ${rule.resourceId}`);
  }
}

export function createRateLimitAdmin(db: Database, limiter: { invalidate(tenantId: string): void }) {
  async function loadRow(tx: Tx, id: string): Promise<Row> {
    if (!isUuid(id)) throw ruleNotFound();
    const [row] = await tx.select().from(rateLimits).where(eq(rateLimits.id, id));
    if (!row) throw ruleNotFound();
    return row;
  }

  return {
    async list(tenantId: string, query: RateLimitListQuery): Promise<Page<RateLimitView>> {
      const filters: SQL[] = [];
      if (query.resourceType) filters.push(eq(rateLimits.resourceType, query.resourceType));
      if (query.connectionId) filters.push(eq(rateLimits.connectionId, query.connectionId));
      if (query.isActive !== undefined) filters.push(eq(rateLimits.isActive, query.isActive));
      const page = keyset(rateLimits.createdAt, rateLimits.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(rateLimits), cursorAt: page.at })
          .from(rateLimits)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, toView);
    },

    async get(tenantId: string, id: string): Promise<RateLimitView> {
      return toView(await db.withTenant(tenantId, (tx) => loadRow(tx, id)));
    },

    async create(context: RequestContext, tenantId: string, input: RateLimitInput): Promise<RateLimitView> {
      const rule = normalize(input);
      const view = await db.withTenant(tenantId, async (tx) => {
        await checkReferences(tx, rule);
        const [row] = await tx
          .insert(rateLimits)
          .values({ tenantId, ...rule })
          .returning();
        await audit(tx, context, {
          action: 'rate_limit.create',
          resourceType: 'rate_limit',
          resourceId: row.id,
          details: { ...rule },
        });
        return toView(row);
      });
      limiter.invalidate(tenantId);
      return view;
    },

    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: RateLimitPatch,
    ): Promise<RateLimitView> {
      const view = await db.withTenant(tenantId, async (tx) => {
        const row = await loadRow(tx, id);
        const limitType = patch.limitType ?? (row.limitType as LimitType);
        // A new limitType brings its own window unless one is given with it.
        const keepWindow = patch.limitType === undefined || LIMIT_TYPES[limitType] === null;
        const resourceType = patch.resourceType ?? (row.resourceType as RuleScope);
        // A connection rule stores its connection in connection_id: a new resourceId replaces it.
        const movesConnection =
          resourceType === 'connection' && patch.resourceId !== undefined && patch.connectionId === undefined;
        const rule = normalize({
          resourceType,
          resourceId: patch.resourceId !== undefined ? patch.resourceId : row.resourceId,
          connectionId:
            patch.connectionId !== undefined ? patch.connectionId : movesConnection ? null : row.connectionId,
          limitType,
          limitValue: patch.limitValue ?? row.limitValue,
          windowSeconds: patch.windowSeconds ?? (keepWindow ? row.windowSeconds : undefined),
          isActive: patch.isActive ?? row.isActive,
        });
        await checkReferences(tx, rule);
        const [updated] = await tx
          .update(rateLimits)
          .set({ ...rule, updatedAt: new Date() })
          .where(eq(rateLimits.id, id))
          .returning();
        await audit(tx, context, {
          action: 'rate_limit.update',
          resourceType: 'rate_limit',
          resourceId: id,
          details: { fields: Object.keys(patch) },
        });
        return toView(updated);
      });
      limiter.invalidate(tenantId);
      return view;
    },

    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        if (!isUuid(id)) throw ruleNotFound();
        const deleted = await tx
          .delete(rateLimits)
          .where(eq(rateLimits.id, id))
          .returning({ id: rateLimits.id });
        if (deleted.length === 0) throw ruleNotFound();
        await audit(tx, context, { action: 'rate_limit.delete', resourceType: 'rate_limit', resourceId: id });
      });
      limiter.invalidate(tenantId);
    },

    /** Aggregated rejections, newest window first. */
    async logs(tenantId: string, query: RateLimitLogQuery): Promise<Page<RateLimitLogView>> {
      const filters: SQL[] = [];
      if (query.rateLimitId) filters.push(eq(rateLimitLogs.rateLimitId, query.rateLimitId));
      if (query.from) filters.push(gte(rateLimitLogs.timestamp, new Date(query.from)));
      if (query.to) filters.push(lte(rateLimitLogs.timestamp, new Date(query.to)));
      const page = keyset(rateLimitLogs.timestamp, rateLimitLogs.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(rateLimitLogs), cursorAt: page.at })
          .from(rateLimitLogs)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, (row) => ({
        id: row.id,
        rateLimitId: row.rateLimitId,
        resourceIdentifier: row.resourceIdentifier,
        requestsCount: row.requestsCount,
        limitExceeded: row.limitExceeded,
        windowStart: row.timestamp.toISOString(),
        resetTime: row.resetTime?.toISOString() ?? null,
      }));
    },
  };
}

export type RateLimitAdmin = ReturnType<typeof createRateLimitAdmin>;
