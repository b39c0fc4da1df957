/**
 * The scheduled jobs of monitoring. Each runs on one node at a time (platform/scheduler.ts).
 *
 * - `metrics.aggregate` (hourly at :05): the last 3 completed hours into integration_metrics.
 * - `health.check` (every HEALTH_CHECK_INTERVAL): connections whose own `health_check_interval` has
 *   passed since their last check (or their creation) are tested through the action runner's connection test, a few at a time.
 * - `retention.executions` (daily 03:17): api_executions and connection_health_checks older than
 *   API_METRICS_RETENTION_DAYS, deleted in batches of 5,000 so no statement holds its locks for long.
 *   Webhook deliveries are purged by the webhooks worker with the same setting (every 10 minutes).
 * - `alerts.evaluate` (every minute): see alerts/evaluate.ts.
 *
 * The "expired cache clean-up" has no job: the response cache lives in memory (LRU, bounded) or
 * in Redis (keys expire on their own), not in a table.
 */
import { sql } from 'drizzle-orm';
import pLimit from 'p-limit';
import type { Config } from '../config.js';
import type { RequestContext } from '../platform/audit.js';
import { systemContext } from '../platform/auth/system.js';
import type { Database } from '../platform/db/client.js';
import type { JobSpec } from '../platform/scheduler.js';
import { aggregateRecentHours } from './aggregation.js';

export type ConnectionTester = (
  context: RequestContext,
  tenantId: string,
  connectionId: string,
) => Promise<unknown>;

export const RETENTION_BATCH = 5000;

/** Who scheduled work acts as in audit entries (credential decryptions of health checks). */
export const schedulerContext = (tenantId: string): RequestContext =>
  systemContext('system:scheduler', tenantId);

/** Deletes rows of `table` older than `days` by `column`, RETENTION_BATCH at a time. */
async function purgeOlderThan(
  db: Database,
  table: string,
  column: string,
  days: number,
  signal?: AbortSignal,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db.withPlatform((tx) =>
      tx.execute(sql`
        DELETE FROM ${sql.identifier(table)} WHERE id IN (
          SELECT id FROM ${sql.identifier(table)}
          WHERE ${sql.identifier(column)} < now() - make_interval(days => ${days}::int)
          LIMIT ${RETENTION_BATCH})`),
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < RETENTION_BATCH || signal?.aborted) return deleted;
  }
}

export function purgeExecutions(db: Database, days: number, signal?: AbortSignal): Promise<number> {
  return purgeOlderThan(db, 'api_executions', 'started_at', days, signal);
}

export function purgeHealthChecks(db: Database, days: number, signal?: AbortSignal): Promise<number> {
  return purgeOlderThan(db, 'connection_health_checks', 'checked_at', days, signal);
}

/** Tests the connections whose health check is due; returns how many were tested. */
export async function checkDueConnections(
  db: Database,
  test: ConnectionTester,
  options: { limit?: number; concurrency?: number; onError?: (error: unknown) => void } = {},
): Promise<number> {
  const due = await db.withPlatform((tx) =>
    tx.execute(sql`
      SELECT id, tenant_id FROM connections
      WHERE status = 'active'
        AND coalesce(health_check_config ->> 'enabled', 'true') <> 'false'
        AND health_check_interval > 0
        -- A new connection is first checked one interval after its creation.
        AND coalesce(last_health_check, created_at) + make_interval(secs => health_check_interval) <= now()
      ORDER BY last_health_check NULLS FIRST
      LIMIT ${options.limit ?? 200}`),
  );
  const limit = pLimit(options.concurrency ?? 4);
  await Promise.all(
    due.rows.map((row) =>
      limit(async () => {
        const tenantId = row.tenant_id as string;
        await test(schedulerContext(tenantId), tenantId, row.id as string).catch((error: unknown) =>
          options.onError?.(error),
        );
      }),
    ),
  );
  return due.rows.length;
}

export function monitoringJobs(deps: {
  config: Config;
  db: Database;
  testConnection: ConnectionTester;
  evaluateAlerts?: () => Promise<void>;
  log?: { warn(object: unknown, message: string): void };
}): JobSpec[] {
  const { config, db } = deps;
  const jobs: JobSpec[] = [
    { name: 'metrics.aggregate', schedule: '5 * * * *', run: () => aggregateRecentHours(db) },
    {
      name: 'retention.executions',
      schedule: '17 3 * * *',
      run: async (signal) => {
        await purgeExecutions(db, config.metricsRetentionDays, signal);
        await purgeHealthChecks(db, config.metricsRetentionDays, signal);
      },
    },
  ];
  const evaluate = deps.evaluateAlerts;
  if (evaluate) jobs.push({ name: 'alerts.evaluate', schedule: '0 * * * * *', run: () => evaluate() });
  if (config.healthCheck.enabled) {
    jobs.push({
      name: 'health.check',
      schedule: { everyMs: config.healthCheck.intervalMs },
      run: async () => {
        await checkDueConnections(db, deps.testConnection, {
          onError: (error) => deps.log?.warn({ err: error }, 'health check failed to run'),
        });
      },
    });
  }
  return jobs;
}
