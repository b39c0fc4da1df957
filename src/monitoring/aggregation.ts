/**
 * Hourly aggregation into integration_metrics (the seed's calculate_hourly_metrics, corrected): for one
 * hour, one row per (tenant, connection) and one per tenant (connection_id null), computed from
 * api_executions and rate_limit_logs of that hour across all tenants. Re-running an hour replaces its
 * rows in one transaction, so the result always equals a fresh computation (idempotent).
 *
 * - success/failed: status `success` vs anything else (failed, timeout);
 * - response times over execution_time (ms); p95 is percentile_cont(0.95) rounded;
 * - cache hits: calls answered from the cache; cache misses: GET/HEAD calls (not actions) that were
 *   not (execution records do not carry BYPASS vs MISS; a GET without a cache policy counts as a miss);
 * - rate-limit hits: calls refused by the platform's rate limits (rate_limit_logs, by window start;
 *   attributed to a connection when the rule has one, always to the tenant row);
 * - error_rates: counts of failed calls by error code (KRX_...) or `HTTP_<status>`.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';

export const HOUR_MS = 3_600_000;

export function hourStart(time: Date | number): Date {
  const ms = typeof time === 'number' ? time : time.getTime();
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
}

/** Aggregates the hour that starts at (or contains) `hour`; returns the rows written. */
export async function aggregateHour(db: Database, hour: Date): Promise<number> {
  const from = hourStart(hour).toISOString();
  return db.withPlatform(async (tx) => {
    await tx.execute(sql`DELETE FROM integration_metrics WHERE metric_hour = ${from}::timestamptz`);
    const result = await tx.execute(sql`
      WITH ex AS (
        SELECT tenant_id, connection_id, status, execution_time, bytes_transferred, cached, method,
               execution_type, response_status, error_details ->> 'code' AS code
        FROM api_executions
        WHERE started_at >= ${from}::timestamptz AND started_at < ${from}::timestamptz + interval '1 hour'
      ),
      agg AS (
        SELECT tenant_id, connection_id,
          count(*) AS total,
          count(*) FILTER (WHERE status = 'success') AS ok,
          count(*) FILTER (WHERE status <> 'success') AS failed,
          round(avg(execution_time)::numeric, 2) AS avg_time,
          min(execution_time) AS min_time,
          max(execution_time) AS max_time,
          round(percentile_cont(0.95) WITHIN GROUP (ORDER BY execution_time))::int AS p95_time,
          coalesce(sum(bytes_transferred), 0) AS bytes,
          count(*) FILTER (WHERE cached) AS hits,
          count(*) FILTER (WHERE NOT cached AND method IN ('GET', 'HEAD') AND execution_type <> 'action') AS misses
        FROM ex
        GROUP BY GROUPING SETS ((tenant_id, connection_id), (tenant_id))
      ),
      err_keys AS (
        SELECT tenant_id, connection_id, coalesce(code, 'HTTP_' || response_status, 'unknown') AS k
        FROM ex WHERE status <> 'success'
      ),
      errs AS (
        SELECT tenant_id, connection_id, jsonb_object_agg(k, n) AS breakdown
        FROM (
          SELECT tenant_id, connection_id, k, count(*) AS n FROM err_keys
          GROUP BY GROUPING SETS ((tenant_id, connection_id, k), (tenant_id, k))
        ) e
        GROUP BY tenant_id, connection_id
      ),
      rl_rows AS (
        SELECT l.tenant_id, r.connection_id, l.requests_count
        FROM rate_limit_logs l LEFT JOIN rate_limits r ON r.id = l.rate_limit_id
        WHERE l.timestamp >= ${from}::timestamptz AND l.timestamp < ${from}::timestamptz + interval '1 hour'
      ),
      rl AS (
        SELECT tenant_id, connection_id, sum(requests_count) AS n FROM rl_rows
        WHERE connection_id IS NOT NULL GROUP BY tenant_id, connection_id
        UNION ALL
        SELECT tenant_id, NULL::uuid, sum(requests_count) FROM rl_rows GROUP BY tenant_id
      ),
      keys AS (
        SELECT tenant_id, connection_id FROM agg UNION SELECT tenant_id, connection_id FROM rl
      )
      INSERT INTO integration_metrics (
        tenant_id, connection_id, metric_hour, total_requests, successful_requests, failed_requests,
        avg_response_time, min_response_time, max_response_time, p95_response_time,
        total_data_transferred, cache_hits, cache_misses, rate_limit_hits, error_rates
      )
      SELECT k.tenant_id, k.connection_id, ${from}::timestamptz,
        coalesce(a.total, 0), coalesce(a.ok, 0), coalesce(a.failed, 0),
        a.avg_time, a.min_time, a.max_time, a.p95_time,
        coalesce(a.bytes, 0), coalesce(a.hits, 0), coalesce(a.misses, 0), coalesce(r.n, 0),
        coalesce(e.breakdown, '{}'::jsonb)
      FROM keys k
      LEFT JOIN agg a ON a.tenant_id = k.tenant_id AND a.connection_id IS NOT DISTINCT FROM k.connection_id
      LEFT JOIN errs e ON e.tenant_id = k.tenant_id AND e.connection_id IS NOT DISTINCT FROM k.connection_id
      LEFT JOIN rl r ON r.tenant_id = k.tenant_id AND r.connection_id IS NOT DISTINCT FROM k.connection_id
      WHERE k.connection_id IS NULL OR EXISTS (SELECT 1 FROM connections c WHERE c.id = k.connection_id)
      ON CONFLICT ON CONSTRAINT uq_integration_metrics_hour DO UPDATE SET
        total_requests = excluded.total_requests,
        successful_requests = excluded.successful_requests,
        failed_requests = excluded.failed_requests,
        avg_response_time = excluded.avg_response_time,
        min_response_time = excluded.min_response_time,
        max_response_time = excluded.max_response_time,
        p95_response_time = excluded.p95_response_time,
        total_data_transferred = excluded.total_data_transferred,
        cache_hits = excluded.cache_hits,
        cache_misses = excluded.cache_misses,
        rate_limit_hits = excluded.rate_limit_hits,
        error_rates = excluded.error_rates,
        updated_at = now()
    `);
    return result.rowCount ?? 0;
  });
}

/** The job: the last `hours` completed hours (late-flushed records and a missed run are caught up). */
export async function aggregateRecentHours(db: Database, hours = 3, now = Date.now()): Promise<void> {
  const current = hourStart(now).getTime();
  for (let i = hours; i >= 1; i--) await aggregateHour(db, new Date(current - i * HOUR_MS));
}
