/**
 * The metrics API: call statistics over a time range, grouped by connection, connector, endpoint, hour
 * or day. Whole hours come from integration_metrics; the current and previous hour (which the hourly
 * job may not have aggregated yet) and the partial hours at either end of the range are computed live
 * from api_executions. Everything runs inside withTenant, so row-level security keeps it to the
 * caller's tenant.
 *
 * Merging hours is exact for counts, sums, averages, min and max; the p95 of several hours is the
 * highest hourly p95 (an upper bound: percentiles do not add up).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { KryonixError } from '../platform/errors.js';
import { HOUR_MS, hourStart } from './aggregation.js';

export const RANGES = ['1h', '24h', '7d', '30d', 'custom'] as const;
export const GROUP_BYS = ['connection', 'connector', 'endpoint', 'hour', 'day'] as const;
export type Range = (typeof RANGES)[number];
export type GroupBy = (typeof GROUP_BYS)[number];

const RANGE_MS: Record<Exclude<Range, 'custom'>, number> = {
  '1h': HOUR_MS,
  '24h': 24 * HOUR_MS,
  '7d': 7 * 24 * HOUR_MS,
  '30d': 30 * 24 * HOUR_MS,
};
const MAX_SPAN_MS = 400 * 24 * HOUR_MS;
const DAY_MS = 24 * HOUR_MS;

export interface MetricsQuery {
  range: Range;
  from?: string;
  to?: string;
  groupBy: GroupBy;
  connectionId?: string;
}

export interface Stats {
  totalRequests: number;
  successfulRequests: number;
  failedRequests: number;
  successRate: number | null;
  avgResponseTime: number | null;
  minResponseTime: number | null;
  maxResponseTime: number | null;
  p95ResponseTime: number | null;
  bytesTransferred: number;
  cacheHits: number;
  cacheMisses: number;
  rateLimitHits: number;
}

export interface MetricsReport {
  from: string;
  to: string;
  groupBy: GroupBy;
  totals: Stats;
  groups: Array<{ key: string | null; label: string } & Stats>;
}

function invalid(path: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `${path} ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

export function resolveRange(query: Pick<MetricsQuery, 'range' | 'from' | 'to'>, now = Date.now()) {
  if (query.range !== 'custom') return { from: new Date(now - RANGE_MS[query.range]), to: new Date(now) };
  if (!query.from || !query.to) throw invalid('/querystring/from', 'and to are required with range=custom');
  const from = new Date(query.from);
  const to = new Date(Math.min(new Date(query.to).getTime(), now));
  if (!(from < to)) throw invalid('/querystring/to', 'must be after from (and from before now)');
  if (to.getTime() - from.getTime() > MAX_SPAN_MS)
    throw invalid('/querystring/from', 'range exceeds 400 days');
  return { from, to };
}

const EMPTY: Stats = {
  totalRequests: 0,
  successfulRequests: 0,
  failedRequests: 0,
  successRate: null,
  avgResponseTime: null,
  minResponseTime: null,
  maxResponseTime: null,
  p95ResponseTime: null,
  bytesTransferred: 0,
  cacheHits: 0,
  cacheMisses: 0,
  rateLimitHits: 0,
};

type StatsRow = Record<string, unknown>;

const num = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
const maybe = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function statsOf(row: StatsRow | undefined): Stats {
  if (!row) return { ...EMPTY };
  const total = num(row.total);
  const avg = maybe(row.avg_time);
  return {
    totalRequests: total,
    successfulRequests: num(row.ok),
    failedRequests: num(row.failed),
    successRate: total > 0 ? Math.round((num(row.ok) / total) * 10_000) / 100 : null,
    avgResponseTime: avg === null ? null : Math.round(avg * 100) / 100,
    minResponseTime: maybe(row.min_time),
    maxResponseTime: maybe(row.max_time),
    p95ResponseTime: maybe(row.p95_time),
    bytesTransferred: num(row.bytes),
    cacheHits: num(row.hits),
    cacheMisses: num(row.misses),
    rateLimitHits: num(row.rl),
  };
}

const STATS_SELECT = sql`
  sum(total) AS total, sum(ok) AS ok, sum(failed) AS failed,
  sum(time_sum) / nullif(sum(timed), 0) AS avg_time,
  min(min_time) AS min_time, max(max_time) AS max_time, max(p95_time) AS p95_time,
  sum(bytes) AS bytes, sum(hits) AS hits, sum(misses) AS misses, sum(rl) AS rl`;

/** Per (connection, hour) rows over [from, to): aggregates for whole past hours, live for the rest. */
function hourlyRows(from: Date, to: Date, connectionId: string | undefined, now: number): SQL {
  const liveStart = hourStart(now).getTime() - HOUR_MS;
  const fullStart = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS;
  const fullEnd = Math.min(hourStart(to).getTime(), liveStart);
  const live: Array<[number, number]> = [];
  let stored: [number, number] | null = null;
  if (fullStart < fullEnd) {
    stored = [fullStart, fullEnd];
    if (from.getTime() < fullStart) live.push([from.getTime(), fullStart]);
    if (fullEnd < to.getTime()) live.push([fullEnd, to.getTime()]);
  } else {
    live.push([from.getTime(), to.getTime()]);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const inLive = (column: SQL) =>
    live.length === 0
      ? sql`false`
      : sql.join(
          live.map(
            ([a, b]) => sql`(${column} >= ${iso(a)}::timestamptz AND ${column} < ${iso(b)}::timestamptz)`,
          ),
          sql` OR `,
        );
  const byConnection = (column: SQL) => (connectionId ? sql`AND ${column} = ${connectionId}::uuid` : sql``);

  const parts: SQL[] = [
    sql`SELECT connection_id, date_trunc('hour', started_at) AS hour,
          count(*) AS total,
          count(*) FILTER (WHERE status = 'success') AS ok,
          count(*) FILTER (WHERE status <> 'success') AS failed,
          sum(execution_time)::numeric AS time_sum, count(execution_time) AS timed,
          min(execution_time) AS min_time, max(execution_time) AS max_time,
          round(percentile_cont(0.95) WITHIN GROUP (ORDER BY execution_time))::int AS p95_time,
          coalesce(sum(bytes_transferred), 0) AS bytes,
          count(*) FILTER (WHERE cached) AS hits,
          count(*) FILTER (WHERE NOT cached AND method IN ('GET', 'HEAD') AND execution_type <> 'action') AS misses,
          0::bigint AS rl
        FROM api_executions
        WHERE (${inLive(sql`started_at`)}) ${byConnection(sql`connection_id`)}
        GROUP BY 1, 2`,
    sql`SELECT r.connection_id, date_trunc('hour', l.timestamp) AS hour,
          0, 0, 0, NULL::numeric, 0, NULL::int, NULL::int, NULL::int, 0, 0, 0, sum(l.requests_count)
        FROM rate_limit_logs l LEFT JOIN rate_limits r ON r.id = l.rate_limit_id
        WHERE (${inLive(sql`l.timestamp`)}) ${connectionId ? sql`AND r.connection_id = ${connectionId}::uuid` : sql``}
        GROUP BY 1, 2`,
  ];
  if (stored) {
    const [a, b] = stored;
    parts.push(sql`SELECT connection_id, metric_hour,
          total_requests, successful_requests, failed_requests,
          avg_response_time * total_requests, CASE WHEN avg_response_time IS NULL THEN 0 ELSE total_requests END,
          min_response_time, max_response_time, p95_response_time,
          total_data_transferred, cache_hits, cache_misses, rate_limit_hits
        FROM integration_metrics
        WHERE connection_id IS NOT NULL AND metric_hour >= ${iso(a)}::timestamptz AND metric_hour < ${iso(b)}::timestamptz
          ${byConnection(sql`connection_id`)}`);
    if (!connectionId) {
      // Rate-limit refusals of rules tied to no connection: the tenant row's share beyond its connections'.
      parts.push(sql`SELECT NULL::uuid, m.metric_hour, 0, 0, 0, NULL::numeric, 0, NULL::int, NULL::int, NULL::int, 0, 0, 0,
            m.rate_limit_hits - coalesce((
              SELECT sum(c.rate_limit_hits) FROM integration_metrics c
              WHERE c.tenant_id = m.tenant_id AND c.metric_hour = m.metric_hour AND c.connection_id IS NOT NULL), 0)
          FROM integration_metrics m
          WHERE m.connection_id IS NULL AND m.rate_limit_hits > 0
            AND m.metric_hour >= ${iso(a)}::timestamptz AND m.metric_hour < ${iso(b)}::timestamptz`);
    }
  }
  return sql`(${sql.join(parts, sql` UNION ALL `)})`;
}

export function createAnalytics(db: Database) {
  async function report(tenantId: string, query: MetricsQuery, now = Date.now()): Promise<MetricsReport> {
    const { from, to } = resolveRange(query, now);
    const rows = hourlyRows(from, to, query.connectionId, now);
    return db.withTenant(tenantId, async (tx) => {
      const totals = await tx.execute(sql`SELECT ${STATS_SELECT} FROM ${rows} h`);
      let groups: MetricsReport['groups'];
      if (query.groupBy === 'endpoint') {
        groups = await endpointGroups(tx, from, to, query.connectionId);
      } else if (query.groupBy === 'connection') {
        const result = await tx.execute(sql`
          SELECT h.connection_id AS key, min(c.name) AS label, ${STATS_SELECT}
          FROM ${rows} h LEFT JOIN connections c ON c.id = h.connection_id
          GROUP BY h.connection_id ORDER BY sum(total) DESC NULLS LAST`);
        groups = result.rows.map((row) => ({
          key: (row.key as string | null) ?? null,
          label:
            (row.label as string | null) ?? (row.key ? 'deleted connection' : 'not tied to a connection'),
          ...statsOf(row),
        }));
      } else if (query.groupBy === 'connector') {
        const result = await tx.execute(sql`
          SELECT k.id AS key, min(k.display_name) AS label, ${STATS_SELECT}
          FROM ${rows} h
          LEFT JOIN connections c ON c.id = h.connection_id
          LEFT JOIN connectors k ON k.id = c.connector_id
          GROUP BY k.id ORDER BY sum(total) DESC NULLS LAST`);
        groups = result.rows.map((row) => ({
          key: (row.key as string | null) ?? null,
          label: (row.label as string | null) ?? 'none',
          ...statsOf(row),
        }));
      } else {
        const bucketMs = query.groupBy === 'day' ? DAY_MS : HOUR_MS;
        const bucket =
          query.groupBy === 'day'
            ? sql`date_trunc('day', h.hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`
            : sql`h.hour`;
        const result = await tx.execute(sql`
          SELECT ${bucket} AS bucket, ${STATS_SELECT} FROM ${rows} h GROUP BY 1`);
        const byBucket = new Map(result.rows.map((row) => [new Date(row.bucket as string).getTime(), row]));
        groups = [];
        for (let t = Math.floor(from.getTime() / bucketMs) * bucketMs; t < to.getTime(); t += bucketMs) {
          const key = new Date(t).toISOString();
          groups.push({ key, label: key, ...statsOf(byBucket.get(t)) });
        }
      }
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        groupBy: query.groupBy,
        totals: statsOf(totals.rows[0]),
        groups,
      };
    });
  }

  return {
    report,

    /** The seed's connection_statistics view (last 24 h). */
    async connectionStatistics(tenantId: string) {
      const result = await db.withTenant(tenantId, (tx) =>
        tx.execute(sql`SELECT * FROM connection_statistics ORDER BY total_executions DESC, name`),
      );
      return {
        items: result.rows.map((row) => ({
          id: row.id as string,
          name: row.name as string,
          status: row.status as string,
          healthStatus: row.health_status as string,
          connectorName: row.connector_name as string,
          totalExecutions: num(row.total_executions),
          successfulExecutions: num(row.successful_executions),
          failedExecutions: num(row.failed_executions),
          successRate: maybe(row.success_rate),
          avgResponseTime: maybe(row.avg_response_time),
          lastExecution: row.last_execution ? new Date(row.last_execution as string).toISOString() : null,
        })),
      };
    },

    /** The seed's top_apis_by_usage view (last 7 days, top 10). */
    async topApis(tenantId: string) {
      const result = await db.withTenant(tenantId, (tx) => tx.execute(sql`SELECT * FROM top_apis_by_usage`));
      return {
        items: result.rows.map((row) => ({
          connectionId: row.connection_id as string,
          connectionName: row.connection_name as string,
          connectorName: row.connector_name as string,
          totalCalls: num(row.total_calls),
          avgResponseTime: maybe(row.avg_response_time),
          errorCount: num(row.error_count),
        })),
      };
    },

    /** The dashboard's six cards. */
    async overview(tenantId: string, now = Date.now()) {
      const day = await report(tenantId, { range: '24h', groupBy: 'hour' }, now);
      const counts = await db.withTenant(tenantId, (tx) =>
        tx.execute(
          sql`SELECT count(*) AS total, count(*) FILTER (WHERE status = 'active') AS active FROM connections`,
        ),
      );
      return {
        totalConnections: num(counts.rows[0]?.total),
        activeConnections: num(counts.rows[0]?.active),
        calls24h: day.totals.totalRequests,
        successRate24h: day.totals.successRate,
        avgResponseTime24h: day.totals.avgResponseTime,
        errors24h: day.totals.failedRequests,
      };
    },
  };
}

/** Top 50 `METHOD path` of the range (query strings cut off), live from api_executions. */
async function endpointGroups(
  tx: { execute: (query: SQL) => Promise<{ rows: Record<string, unknown>[] }> },
  from: Date,
  to: Date,
  connectionId: string | undefined,
): Promise<MetricsReport['groups']> {
  const result = await tx.execute(sql`
    SELECT coalesce(method, '?') || ' ' || split_part(coalesce(url, ''), '?', 1) AS key,
      count(*) AS total, count(*) FILTER (WHERE status = 'success') AS ok,
      count(*) FILTER (WHERE status <> 'success') AS failed,
      avg(execution_time) AS avg_time, min(execution_time) AS min_time, max(execution_time) AS max_time,
      round(percentile_cont(0.95) WITHIN GROUP (ORDER BY execution_time))::int AS p95_time,
      coalesce(sum(bytes_transferred), 0) AS bytes, count(*) FILTER (WHERE cached) AS hits,
      count(*) FILTER (WHERE NOT cached AND method IN ('GET', 'HEAD') AND execution_type <> 'action') AS misses,
      0 AS rl
    FROM api_executions
    WHERE started_at >= ${from.toISOString()}::timestamptz AND started_at < ${to.toISOString()}::timestamptz
      ${connectionId ? sql`AND connection_id = ${connectionId}::uuid` : sql``}
    GROUP BY 1 ORDER BY count(*) DESC LIMIT 50`);
  return result.rows.map((row) => ({ key: row.key as string, label: row.key as string, ...statsOf(row) }));
}

export type Analytics = ReturnType<typeof createAnalytics>;
