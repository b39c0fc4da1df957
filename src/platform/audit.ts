/**
 * The audit log: every mutation and every decryption of a credential, written in the same
 * transaction as the change it records (so an entry exists exactly when the change does).
 * Details must never carry secrets: callers pass field names, not values.
 */
import { and, eq, getTableColumns, gte, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { actorOf, type Principal } from './auth/principal.js';
import type { Tx } from './db/client.js';
import { auditLog } from './db/schema.js';
import { keyset } from './pagination.js';

/** Who did it and from where: built once per request. */
export interface RequestContext {
  principal: Principal;
  sourceIp: string | null;
  requestId: string | null;
}

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
}

export async function audit(
  tx: Tx,
  context: RequestContext,
  entry: AuditEntry,
  tenantId = context.principal.tenantId,
): Promise<void> {
  await tx.insert(auditLog).values({
    tenantId,
    actor: actorOf(context.principal),
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    sourceIp: context.sourceIp,
    requestId: context.requestId,
    details: entry.details ?? null,
    // Not now(): entries of one transaction must keep the order they happened in.
    createdAt: sql`clock_timestamp()`,
  });
}

export interface AuditQuery {
  limit: number;
  /** nextCursor of the previous page. */
  cursor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  from?: Date;
  to?: Date;
}

export type AuditRow = typeof auditLog.$inferSelect & { cursorAt: string };

/**
 * Newest first. `tenant`: runs inside withTenant, so RLS keeps it to the caller's tenant. `platform`:
 * runs inside withPlatform and keeps to the entries of no tenant (platform-owner keys, master-key
 * rotations), which only the platform owner reads.
 */
export async function listAudit(
  tx: Tx,
  query: AuditQuery,
  scope: 'tenant' | 'platform' = 'tenant',
): Promise<AuditRow[]> {
  const filters: SQL[] = [];
  if (scope === 'platform') filters.push(isNull(auditLog.tenantId));
  if (query.action) filters.push(eq(auditLog.action, query.action));
  if (query.resourceType) filters.push(eq(auditLog.resourceType, query.resourceType));
  if (query.resourceId) filters.push(eq(auditLog.resourceId, query.resourceId));
  if (query.from) filters.push(gte(auditLog.createdAt, query.from));
  if (query.to) filters.push(lte(auditLog.createdAt, query.to));
  const page = keyset(auditLog.createdAt, auditLog.id, query.cursor);
  return tx
    .select({ ...getTableColumns(auditLog), cursorAt: page.at })
    .from(auditLog)
    .where(and(...filters, page.where))
    .orderBy(...page.orderBy)
    .limit(query.limit);
}
