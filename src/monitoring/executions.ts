/**
 * The execution log: api_executions searched by time, connection, status, method, type and text (URL
 * or error message), newest first with keyset pagination on (started_at, id) — the order of the
 * (tenant_id, started_at) index. Records were redacted when written (credentials masked), so they are
 * returned as stored.
 */
import { and, eq, gte, ilike, lte, or, type SQL } from 'drizzle-orm';
import { type Database, isUuid } from '../platform/db/client.js';
import { containsPattern } from '../platform/db/like.js';
import { apiExecutions, connections } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';

export const EXECUTION_STATUSES = ['success', 'failed', 'timeout', 'pending'] as const;
export const EXECUTION_TYPES = ['api_call', 'batch', 'action', 'proxy'] as const;

export interface ExecutionQuery {
  limit: number;
  cursor?: string;
  from?: string;
  to?: string;
  connectionId?: string;
  status?: (typeof EXECUTION_STATUSES)[number];
  method?: string;
  executionType?: (typeof EXECUTION_TYPES)[number];
  /** Case-insensitive text in the URL or the error message. */
  q?: string;
}

type Row = typeof apiExecutions.$inferSelect & { connectionName: string | null };

const summaryColumns = {
  id: apiExecutions.id,
  connectionId: apiExecutions.connectionId,
  connectionName: connections.name,
  executionType: apiExecutions.executionType,
  method: apiExecutions.method,
  url: apiExecutions.url,
  status: apiExecutions.status,
  responseStatus: apiExecutions.responseStatus,
  executionTime: apiExecutions.executionTime,
  retryCount: apiExecutions.retryCount,
  cached: apiExecutions.cached,
  bytesTransferred: apiExecutions.bytesTransferred,
  errorMessage: apiExecutions.errorMessage,
  errorDetails: apiExecutions.errorDetails,
  triggeredBy: apiExecutions.triggeredBy,
  startedAt: apiExecutions.startedAt,
  completedAt: apiExecutions.completedAt,
};

type SummaryRow = Pick<Row, keyof typeof summaryColumns>;

function summary(row: SummaryRow) {
  const code = (row.errorDetails as { code?: unknown } | null)?.code;
  return {
    id: row.id,
    connectionId: row.connectionId,
    connectionName: row.connectionName,
    executionType: row.executionType,
    method: row.method,
    url: row.url,
    status: row.status,
    responseStatus: row.responseStatus,
    executionTime: row.executionTime,
    retryCount: row.retryCount,
    cached: row.cached,
    bytesTransferred: row.bytesTransferred,
    errorMessage: row.errorMessage,
    errorCode: typeof code === 'string' ? code : null,
    triggeredBy: row.triggeredBy,
    startedAt: row.startedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

export type ExecutionSummary = ReturnType<typeof summary>;

/** `%` and `_` typed by the user are literal characters, not wildcards. */
const notFound = () => new KryonixError('KRX_NOT_FOUND', 'execution not found');

export function createExecutionLogReader(db: Database) {
  return {
    async list(tenantId: string, query: ExecutionQuery): Promise<Page<ExecutionSummary>> {
      const filters: SQL[] = [];
      if (query.from) filters.push(gte(apiExecutions.startedAt, new Date(query.from)));
      if (query.to) filters.push(lte(apiExecutions.startedAt, new Date(query.to)));
      if (query.connectionId) filters.push(eq(apiExecutions.connectionId, query.connectionId));
      if (query.status) filters.push(eq(apiExecutions.status, query.status));
      if (query.method) filters.push(eq(apiExecutions.method, query.method.toUpperCase()));
      if (query.executionType) filters.push(eq(apiExecutions.executionType, query.executionType));
      if (query.q) {
        const pattern = containsPattern(query.q);
        filters.push(or(ilike(apiExecutions.url, pattern), ilike(apiExecutions.errorMessage, pattern))!);
      }
      const page = keyset(apiExecutions.startedAt, apiExecutions.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...summaryColumns, cursorAt: page.at })
          .from(apiExecutions)
          .leftJoin(connections, eq(connections.id, apiExecutions.connectionId))
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, summary);
    },

    async get(tenantId: string, id: string) {
      if (!isUuid(id)) throw notFound();
      const [row] = await db.withTenant(tenantId, (tx) =>
        tx
          .select({
            ...summaryColumns,
            endpointId: apiExecutions.endpointId,
            parentExecutionId: apiExecutions.parentExecutionId,
            maxRetries: apiExecutions.maxRetries,
            requestHeaders: apiExecutions.requestHeaders,
            requestBody: apiExecutions.requestBody,
            responseHeaders: apiExecutions.responseHeaders,
            responseBody: apiExecutions.responseBody,
          })
          .from(apiExecutions)
          .leftJoin(connections, eq(connections.id, apiExecutions.connectionId))
          .where(eq(apiExecutions.id, id)),
      );
      if (!row) throw notFound();
      return {
        ...summary(row),
        endpointId: row.endpointId,
        parentExecutionId: row.parentExecutionId,
        maxRetries: row.maxRetries,
        errorDetails: row.errorDetails,
        requestHeaders: row.requestHeaders,
        requestBody: row.requestBody,
        responseHeaders: row.responseHeaders,
        responseBody: row.responseBody,
      };
    },
  };
}

export type ExecutionLogReader = ReturnType<typeof createExecutionLogReader>;
