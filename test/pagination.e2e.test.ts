/**
 * Keyset pagination is exact: rows whose times differ by microseconds inside one millisecond (as
 * PostgreSQL's clock writes them: a credential decryption and the update after it) are each listed
 * once when paged one at a time, on every list route that pages by (time, id).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

/** Four rows inside the same millisecond: three microseconds apart, the last two at the same instant. */
const TIMES = [
  '2026-01-01 00:00:00.000100+00',
  '2026-01-01 00:00:00.000200+00',
  '2026-01-01 00:00:00.000300+00',
  '2026-01-01 00:00:00.000300+00',
];

interface Context {
  tenantId: string;
  connectionId: string;
  alertId: string;
  rateLimitId: string;
}

interface ListCase {
  route: (c: Context) => string;
  /** Inserts one row at `time` (the n-th, for unique names) and returns its id. */
  insert: (c: Context, time: string, n: number) => { text: string; values: unknown[] };
}

const cases: Record<string, ListCase> = {
  'audit log': {
    route: () => '/api/integrations/audit-log?resourceType=paging-test',
    insert: (c, time) => ({
      text: `INSERT INTO audit_log (tenant_id, actor, action, resource_type, created_at)
             VALUES ($1, 'test', 'paging.test', 'paging-test', $2) RETURNING id`,
      values: [c.tenantId, time],
    }),
  },
  connections: {
    route: () => '/api/integrations/connections?search=paged-',
    insert: (c, time, n) => ({
      text: `INSERT INTO connections (tenant_id, connector_id, connector_version, name, config, created_by, created_at)
             SELECT $1, connector_id, connector_version, $3, config, created_by, $2 FROM connections WHERE id = $4
             RETURNING id`,
      values: [c.tenantId, time, `paged-${n}`, c.connectionId],
    }),
  },
  'connection health history': {
    route: (c) => `/api/integrations/connections/${c.connectionId}/health`,
    insert: (c, time) => ({
      text: `INSERT INTO connection_health_checks (tenant_id, connection_id, kind, status, message, checked_at)
             VALUES ($1, $3, 'test', 'healthy', 'ok', $2) RETURNING id`,
      values: [c.tenantId, time, c.connectionId],
    }),
  },
  executions: {
    route: () => '/api/integrations/executions',
    insert: (c, time) => ({
      text: `INSERT INTO api_executions (tenant_id, connection_id, execution_type, method, url, status, started_at)
             VALUES ($1, $3, 'execute', 'GET', 'https://api.example.com', 'success', $2) RETURNING id`,
      values: [c.tenantId, time, c.connectionId],
    }),
  },
  'webhook endpoints': {
    route: () => '/api/integrations/webhooks/endpoints',
    insert: (c, time, n) => ({
      text: `INSERT INTO webhook_endpoints (tenant_id, name, webhook_url, created_by, created_at)
             VALUES ($1, $3, $4, 'test', $2) RETURNING id`,
      values: [c.tenantId, time, `paged-${n}`, `paged-${n}-${c.tenantId}`],
    }),
  },
  'webhook subscriptions': {
    route: () => '/api/integrations/webhooks/subscriptions',
    insert: (c, time, n) => ({
      text: `INSERT INTO webhook_subscriptions (tenant_id, name, target_url, events, created_by, created_at)
             VALUES ($1, $3, 'https://hooks.example.com/in', '{api.call.success}', 'test', $2) RETURNING id`,
      values: [c.tenantId, time, `paged-${n}`],
    }),
  },
  'webhook deliveries': {
    route: () => '/api/integrations/webhooks/deliveries',
    insert: (c, time) => ({
      text: `INSERT INTO webhook_deliveries (tenant_id, event_type, event_data, payload, target_url, created_at)
             VALUES ($1, 'api.call.success', '{}', '{}', 'https://hooks.example.com/in', $2) RETURNING id`,
      values: [c.tenantId, time],
    }),
  },
  'rate limits': {
    route: () => '/api/integrations/rate-limits',
    insert: (c, time) => ({
      text: `INSERT INTO rate_limits (tenant_id, resource_type, limit_type, limit_value, window_seconds, created_at)
             VALUES ($1, 'tenant', 'requests_per_minute', 100, 60, $2) RETURNING id`,
      values: [c.tenantId, time],
    }),
  },
  'rate-limit logs': {
    route: () => '/api/integrations/rate-limits/logs',
    insert: (c, time, n) => ({
      text: `INSERT INTO rate_limit_logs (tenant_id, rate_limit_id, resource_identifier, requests_count, limit_exceeded, reset_time, timestamp)
             VALUES ($1, $3, $4, 1, true, $2, $2) RETURNING id`,
      values: [c.tenantId, time, c.rateLimitId, `subject-${n}`],
    }),
  },
  'cache policies': {
    route: () => '/api/integrations/cache-policies',
    insert: (c, time) => ({
      text: `INSERT INTO cache_policies (tenant_id, connection_id, created_at) VALUES ($1, $3, $2) RETURNING id`,
      values: [c.tenantId, time, c.connectionId],
    }),
  },
  'alert rules': {
    route: () => '/api/integrations/alerts',
    insert: (c, time, n) => ({
      text: `INSERT INTO integration_alerts (tenant_id, alert_type, alert_name, conditions, created_by, created_at)
             VALUES ($1, 'error_rate', $3, '{}', 'test', $2) RETURNING id`,
      values: [c.tenantId, time, `paged-${n}`],
    }),
  },
  'alert events': {
    route: () => '/api/integrations/alerts/events',
    insert: (c, time) => ({
      text: `INSERT INTO alert_events (tenant_id, alert_id, severity, message, created_at)
             VALUES ($1, $3, 'warning', 'paged', $2) RETURNING id`,
      values: [c.tenantId, time, c.alertId],
    }),
  },
};

describeStores('keyset pagination', (store) => {
  let t: TestPlatform;
  let key: string;
  const context = {} as Context;

  beforeAll(async () => {
    t = await startTestPlatform(store);
    // A tenant of its own, so every list holds exactly the rows this test inserts.
    const tenant = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Paging', slug: 'paging' },
    });
    expect(tenant.status).toBe(201);
    context.tenantId = tenant.body.id;
    const admin = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${tenant.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'paging admin', role: 'admin' },
    });
    key = admin.body.key;
    const connection = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key,
      body: { connectorId: 'rest', name: 'base', config: { baseUrl: 'https://api.example.com' } },
    });
    expect(connection.status).toBe(201);
    context.connectionId = connection.body.id;
    const pool = t.platform.db.pool;
    const alert = await pool.query(
      `INSERT INTO integration_alerts (tenant_id, alert_type, alert_name, conditions, created_by, created_at)
       VALUES ($1, 'error_rate', 'events', '{}', 'test', '2020-01-01') RETURNING id`,
      [context.tenantId],
    );
    context.alertId = alert.rows[0].id;
    const limit = await pool.query(
      `INSERT INTO rate_limits (tenant_id, resource_type, limit_type, limit_value, window_seconds, created_at)
       VALUES ($1, 'tenant', 'requests_per_minute', 100, 60, '2020-01-01') RETURNING id`,
      [context.tenantId],
    );
    context.rateLimitId = limit.rows[0].id;
  });
  afterAll(async () => t?.close());

  it.each(Object.entries(cases))('%s: one row per page lists every row once', async (_name, list) => {
    const inserted: string[] = [];
    for (const [n, time] of TIMES.entries()) {
      const { text, values } = list.insert(context, time, n);
      inserted.push((await t.platform.db.pool.query(text, values)).rows[0].id);
    }
    const route = list.route(context);
    const separator = route.includes('?') ? '&' : '?';
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page: { status: number; body: any } = await call(
        t.baseUrl,
        'GET',
        `${route}${separator}limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    // Newest first: the two rows of the same instant (by id, descending), then .000200, then .000100.
    const sameInstant = inserted.slice(2).sort().reverse();
    const expected = [...sameInstant, inserted[1], inserted[0]];
    expect(seen.filter((id) => inserted.includes(id))).toEqual(expected);
  });
});
