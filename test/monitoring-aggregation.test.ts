import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { purgeExecutions } from '../src/monitoring/jobs.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { waitFor } from './fakes/webhook-receiver.js';
import { createRestConnection, execute, openStream } from './monitoring-kit.js';
import { call, createTenant, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const HOUR = 3_600_000;

/** percentile_cont(0.95), computed here independently of the database. */
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = 0.95 * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return Math.round(sorted[low] + (sorted[high] - sorted[low]) * (rank - low));
}

describeStores('monitoring: aggregation, metrics API and jobs', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let a: string;
  let b: string;
  let tenantId: string;

  const query = async (text: ReturnType<typeof sql>) =>
    (await t.platform.db.withPlatform((tx) => tx.execute(text))).rows as Record<string, any>[];

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
    });
    a = await createRestConnection(t, t.adminKey, `${upstream.url}/base`, 'agg-a');
    b = await createRestConnection(t, t.adminKey, `${upstream.url}/base`, 'agg-b', {
      config: { baseUrl: `${upstream.url}/base`, retry: { attempts: 1 }, testEndpoint: '/echo/health' },
    });
    tenantId = (await query(sql`SELECT tenant_id FROM connections WHERE id = ${a}`))[0].tenant_id;
    for (let i = 0; i < 6; i++)
      await execute(t, t.adminKey, a, { method: 'GET', endpoint: '/slow', queryParams: { ms: i * 5 } });
    await execute(t, t.adminKey, a, { method: 'GET', endpoint: '/status/500' });
    await execute(t, t.adminKey, a, { method: 'POST', endpoint: '/status/404' });
    await execute(t, t.adminKey, b, { method: 'GET', endpoint: '/echo/b' });
    await t.platform.executionLog.flush();
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('aggregates the hour to exactly a direct computation over api_executions, idempotently', async () => {
    const hour = new Date(Math.floor(Date.now() / HOUR) * HOUR);
    await t.platform.monitoring.aggregateHour(hour);
    await t.platform.monitoring.aggregateHour(hour); // a re-run replaces, never adds

    const raw = await query(sql`
      SELECT connection_id, status, execution_time, bytes_transferred, response_status
      FROM api_executions WHERE started_at >= ${hour.toISOString()}::timestamptz`);
    const rows = await query(sql`
      SELECT * FROM integration_metrics WHERE metric_hour = ${hour.toISOString()}::timestamptz`);
    expect(rows).toHaveLength(3); // a, b and the tenant row

    for (const [connectionId, mine] of [
      [a, raw.filter((r) => r.connection_id === a)],
      [b, raw.filter((r) => r.connection_id === b)],
      [null, raw],
    ] as const) {
      const row = rows.find((r) => r.connection_id === connectionId)!;
      const times = mine.map((r) => Number(r.execution_time));
      const failed = mine.filter((r) => r.status !== 'success');
      expect(Number(row.total_requests)).toBe(mine.length);
      expect(Number(row.successful_requests)).toBe(mine.length - failed.length);
      expect(Number(row.failed_requests)).toBe(failed.length);
      // numeric(10, 2): rounded to the cent.
      const mean = times.reduce((x, y) => x + y, 0) / times.length;
      expect(Math.abs(Number(row.avg_response_time) - mean)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(row.min_response_time).toBe(Math.min(...times));
      expect(row.max_response_time).toBe(Math.max(...times));
      expect(row.p95_response_time).toBe(p95(times));
      expect(Number(row.total_data_transferred)).toBe(
        mine.reduce((x, r) => x + Number(r.bytes_transferred), 0),
      );
      const breakdown: Record<string, number> = {};
      for (const r of failed)
        breakdown[`HTTP_${r.response_status}`] = (breakdown[`HTTP_${r.response_status}`] ?? 0) + 1;
      expect(row.error_rates).toEqual(breakdown);
    }
    expect(rows.find((r) => r.connection_id === a)!.error_rates).toEqual({ HTTP_500: 1, HTTP_404: 1 });
  });

  it('answers the metrics API from the live hour, grouped by connection, hour and endpoint', async () => {
    const byConnection = await call(
      t.baseUrl,
      'GET',
      '/api/integrations/metrics?range=1h&groupBy=connection',
      {
        key: t.adminKey,
      },
    );
    expect(byConnection.status).toBe(200);
    expect(byConnection.body.totals).toMatchObject({
      totalRequests: 9,
      successfulRequests: 7,
      failedRequests: 2,
    });
    expect(byConnection.body.totals.successRate).toBeCloseTo(77.78, 2);
    const groupA = byConnection.body.groups.find((g: { key: string }) => g.key === a);
    expect(groupA).toMatchObject({ label: 'agg-a', totalRequests: 8, failedRequests: 2 });

    const byHour = await call(t.baseUrl, 'GET', '/api/integrations/metrics?range=24h&groupBy=hour', {
      key: t.adminKey,
    });
    expect(byHour.body.groups.length).toBeGreaterThanOrEqual(24);
    expect(byHour.body.groups.at(-1).totalRequests).toBe(9);
    expect(byHour.body.groups[0]).toMatchObject({ totalRequests: 0, successRate: null });

    const byEndpoint = await call(
      t.baseUrl,
      'GET',
      `/api/integrations/metrics?range=1h&groupBy=endpoint&connectionId=${b}`,
      {
        key: t.adminKey,
      },
    );
    expect(byEndpoint.body.groups).toEqual([
      expect.objectContaining({ key: `GET ${upstream.url}/base/echo/b`, totalRequests: 1 }),
    ]);

    const byConnector = await call(t.baseUrl, 'GET', '/api/integrations/metrics?range=1h&groupBy=connector', {
      key: t.adminKey,
    });
    expect(byConnector.body.groups).toHaveLength(1);
    expect(byConnector.body.groups[0].totalRequests).toBe(9);

    expect(
      (await call(t.baseUrl, 'GET', '/api/integrations/metrics?range=custom', { key: t.adminKey })).status,
    ).toBe(400);
    expect(
      (await call(t.baseUrl, 'GET', '/api/integrations/metrics?groupBy=url', { key: t.adminKey })).status,
    ).toBe(400);
  });

  it('answers past hours from the aggregates (raw records may be gone)', async () => {
    const old = new Date(Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR);
    for (const ms of [100, 300]) {
      await query(sql`
        INSERT INTO api_executions (tenant_id, connection_id, execution_type, method, url, status, execution_time,
          bytes_transferred, started_at)
        VALUES (${tenantId}, ${a}, 'api_call', 'GET', 'http://x/old', ${ms === 300 ? 'failed' : 'success'}, ${ms},
          10, ${new Date(old.getTime() + 60_000).toISOString()}::timestamptz)`);
    }
    await t.platform.monitoring.aggregateHour(old);
    await query(sql`DELETE FROM api_executions WHERE url = 'http://x/old'`);

    const day = await call(
      t.baseUrl,
      'GET',
      `/api/integrations/metrics?range=24h&groupBy=hour&connectionId=${a}`,
      {
        key: t.adminKey,
      },
    );
    const bucket = day.body.groups.find((g: { key: string }) => g.key === old.toISOString());
    expect(bucket).toMatchObject({
      totalRequests: 2,
      failedRequests: 1,
      avgResponseTime: 200,
      maxResponseTime: 300,
    });
    expect(day.body.totals.totalRequests).toBe(10);

    const custom = await call(
      t.baseUrl,
      'GET',
      `/api/integrations/metrics?range=custom&groupBy=day&from=${encodeURIComponent(new Date(old.getTime() - HOUR).toISOString())}&to=${encodeURIComponent(new Date(old.getTime() + HOUR).toISOString())}`,
      { key: t.adminKey },
    );
    expect(custom.status).toBe(200);
    expect(custom.body.totals.totalRequests).toBe(2);
  });

  it('serves the two seed views and the overview cards', async () => {
    const stats = await call(t.baseUrl, 'GET', '/api/integrations/metrics/connections', { key: t.adminKey });
    expect(stats.status).toBe(200);
    expect(stats.body.items.find((i: { id: string }) => i.id === a)).toMatchObject({
      name: 'agg-a',
      totalExecutions: 8,
      failedExecutions: 2,
      successRate: 75,
    });
    const top = await call(t.baseUrl, 'GET', '/api/integrations/metrics/top-apis', { key: t.adminKey });
    expect(top.body.items[0]).toMatchObject({ connectionId: a, totalCalls: 8, errorCount: 2 });
    const overview = await call(t.baseUrl, 'GET', '/api/integrations/metrics/overview', { key: t.adminKey });
    expect(overview.body).toMatchObject({
      totalConnections: 2,
      activeConnections: 2,
      calls24h: 11,
      errors24h: 3,
    });

    const other = await createTenant(t, 'agg-other');
    const theirs = await call(t.baseUrl, 'GET', '/api/integrations/metrics/connections', { key: other.key });
    expect(theirs.body.items).toEqual([]);
    expect(
      (await call(t.baseUrl, 'GET', '/api/integrations/metrics?range=24h', { key: other.key })).body.totals,
    ).toMatchObject({
      totalRequests: 0,
    });
  });

  it('runs a job on one scheduler at a time and never starts an overrunning job twice', async () => {
    const first = createScheduler(t.platform.db);
    const second = createScheduler(t.platform.db); // another node: its own lock session
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const job = {
      name: 'test.single',
      schedule: '0 0 1 1 *',
      run: async () => {
        runs++;
        await gate;
      },
    };
    first.add(job);
    second.add({ ...job });
    try {
      const running = first.runNow('test.single');
      await waitFor(() => runs === 1, 'the first run to start');
      expect(await second.runNow('test.single')).toBe('skipped_locked');
      expect(await first.runNow('test.single')).toBe('skipped_running');
      release();
      expect(await running).toBe('ran');
      expect(await second.runNow('test.single')).toBe('ran');
      expect(runs).toBe(2);
    } finally {
      release();
      await first.stop();
      await second.stop();
    }
  });

  it('health-checks connections whose interval has passed and streams the change', async () => {
    const stream = await openStream(
      `${t.baseUrl}/api/integrations/stream?types=health&access_token=${t.adminKey}`,
    );
    try {
      await stream.next('ready');
      upstream.reset();
      // Not due yet: created just now with the default 300 s interval.
      expect(await t.platform.monitoring.scheduler!.runNow('health.check')).toBe('ran');
      expect(upstream.hits.size).toBe(0);
      await query(sql`UPDATE connections SET created_at = now() - interval '10 minutes' WHERE id = ${b}`);
      expect(await t.platform.monitoring.scheduler!.runNow('health.check')).toBe('ran');
      const event = await stream.next('health', (data) => data.connectionId === b);
      expect(event.data).toMatchObject({ previous: 'unknown', current: 'healthy' });
      const [row] = await query(
        sql`SELECT health_status, last_health_check FROM connections WHERE id = ${b}`,
      );
      expect(row.health_status).toBe('healthy');
      expect(row.last_health_check).not.toBeNull();
      expect(upstream.hits.get('/echo/health')).toBe(1);
      // Checked now: not due again until its interval passes.
      expect(await t.platform.monitoring.scheduler!.runNow('health.check')).toBe('ran');
      expect(upstream.hits.get('/echo/health')).toBe(1);
    } finally {
      stream.close();
    }
  });

  it('purges executions past the retention period in batches', async () => {
    await query(sql`
      INSERT INTO api_executions (tenant_id, connection_id, execution_type, status, started_at)
      SELECT ${tenantId}, ${a}, 'api_call', 'success', now() - interval '40 days' FROM generate_series(1, 7)`);
    const before = Number((await query(sql`SELECT count(*) AS n FROM api_executions`))[0].n);
    expect(await purgeExecutions(t.platform.db, 30)).toBe(7);
    expect(Number((await query(sql`SELECT count(*) AS n FROM api_executions`))[0].n)).toBe(before - 7);
  });
});
