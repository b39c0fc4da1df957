/**
 * Alert evaluation (the `alerts.evaluate` job, every minute, one node). For each rule: compute its value
 * over its window in its tenant (row-level security applies), then move its state:
 *
 *   ok ──breach──▶ pending ──still breaching after `forSeconds`──▶ firing ──no breach──▶ ok
 *        ◀──no breach──┘                                             │
 *                                                    repeat interval passed and not acknowledged:
 *                                                    notify again (same event)
 *
 * Firing inserts an alert_events row, emits `alert.triggered` and notifies the rule's channels once;
 * resolving marks the event resolved (by `system`), emits `alert.resolved` and notifies (so does a
 * user's resolve through the API: `notifyResolved`). A rule that is
 * disabled while firing is resolved. State lives in integration_alerts, so consecutive runs on
 * different nodes continue where the last one stopped.
 */
import { and, eq, ne, or, sql } from 'drizzle-orm';
import { audit } from '../../platform/audit.js';
import { systemContext } from '../../platform/auth/system.js';
import { isEnvelope, type Sealer } from '../../platform/crypto.js';
import type { Database, Tx } from '../../platform/db/client.js';
import { alertEvents, integrationAlerts } from '../../platform/db/schema.js';
import type { EventBus } from '../../platform/events.js';
import type { ChannelResult, Notice, Notifier } from './notify.js';
import { type AlertType, conditionsOf, openChannels, type RuleRow, type StoredConditions } from './rules.js';

interface Logger {
  warn(object: unknown, message: string): void;
}

const UNIT: Record<AlertType, string> = {
  error_rate: '%',
  response_time: ' ms',
  rate_limit: ' refused calls',
  health_check: ' unhealthy connections',
  webhook_failures: ' failed deliveries',
  queue_backlog: ' overdue deliveries',
};

const ALERTS_CONTEXT = systemContext('system:alerts');

const OPERATOR_TEXT = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;

function compare(value: number, operator: StoredConditions['operator'], threshold: number): boolean {
  switch (operator) {
    case 'gte':
      return value >= threshold;
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    default:
      return value > threshold;
  }
}

function describe(rule: RuleRow, c: StoredConditions, value: number | null): string {
  const name =
    rule.alertType === 'response_time'
      ? `${c.statistic ?? 'avg'} response time`
      : rule.alertType.replace('_', ' ');
  const shown =
    value === null ? 'n/a' : `${Math.round(value * 100) / 100}${UNIT[rule.alertType as AlertType]}`;
  const scope =
    c.scope.kind === 'connection'
      ? ` on connection ${c.scope.connectionId}`
      : c.scope.kind === 'subscription'
        ? ` on subscription ${c.scope.subscriptionId}`
        : '';
  const window = c.windowSeconds > 0 ? ` over the last ${c.windowSeconds} s` : '';
  return `${name} ${shown} ${OPERATOR_TEXT[c.operator]} ${c.threshold}${UNIT[rule.alertType as AlertType]}${window}${scope}`;
}

async function measure(tx: Tx, rule: RuleRow, c: StoredConditions): Promise<number | null> {
  const since = sql`now() - make_interval(secs => ${c.windowSeconds})`;
  const connection =
    c.scope.kind === 'connection' ? sql`AND connection_id = ${c.scope.connectionId}::uuid` : sql``;
  const subscription =
    c.scope.kind === 'subscription' ? sql`AND subscription_id = ${c.scope.subscriptionId}::uuid` : sql``;
  const one = async (query: ReturnType<typeof sql>) =>
    (await tx.execute(query)).rows[0] as Record<string, unknown>;
  switch (rule.alertType as AlertType) {
    case 'error_rate': {
      const row =
        await one(sql`SELECT count(*) AS total, count(*) FILTER (WHERE status <> 'success') AS failed
        FROM api_executions WHERE started_at >= ${since} ${connection}`);
      const total = Number(row.total);
      return total === 0 || total < (c.minRequests ?? 1) ? null : (Number(row.failed) / total) * 100;
    }
    case 'response_time': {
      const row = await one(sql`SELECT count(execution_time) AS n, avg(execution_time) AS avg,
          percentile_cont(0.95) WITHIN GROUP (ORDER BY execution_time) AS p95
        FROM api_executions WHERE started_at >= ${since} ${connection}`);
      if (Number(row.n) === 0 || Number(row.n) < (c.minRequests ?? 1)) return null;
      return Number(c.statistic === 'p95' ? row.p95 : row.avg);
    }
    case 'rate_limit': {
      const row = await one(sql`SELECT coalesce(sum(l.requests_count), 0) AS n
        FROM rate_limit_logs l LEFT JOIN rate_limits r ON r.id = l.rate_limit_id
        WHERE l.timestamp >= ${since}
        ${c.scope.kind === 'connection' ? sql`AND r.connection_id = ${c.scope.connectionId}::uuid` : sql``}`);
      return Number(row.n);
    }
    case 'health_check': {
      const row = await one(sql`SELECT count(*) AS n FROM connections
        WHERE status = 'active' AND health_status = 'unhealthy'
        ${c.scope.kind === 'connection' ? sql`AND id = ${c.scope.connectionId}::uuid` : sql``}`);
      return Number(row.n);
    }
    case 'webhook_failures': {
      const row = await one(sql`SELECT count(*) AS n FROM webhook_deliveries
        WHERE status = 'failed' AND subscription_id IS NOT NULL
          AND coalesce(last_attempt_at, created_at) >= ${since} ${subscription}`);
      return Number(row.n);
    }
    case 'queue_backlog': {
      const row = await one(sql`SELECT count(*) AS n FROM webhook_deliveries
        WHERE status = 'pending' AND next_retry_at <= ${since} ${subscription}`);
      return Number(row.n);
    }
    default:
      return null;
  }
}

export function createAlertEvaluator(deps: {
  db: Database;
  sealer: Sealer;
  events: EventBus;
  notifier: Notifier;
  log?: Logger;
}) {
  const { db, sealer, events, notifier } = deps;

  async function recordNotifications(
    tenantId: string,
    eventId: string,
    kind: string,
    results: ChannelResult[],
  ) {
    if (results.length === 0) return;
    await db.withTenant(tenantId, (tx) =>
      tx
        .update(alertEvents)
        .set({
          details: sql`coalesce(${alertEvents.details}, '{}'::jsonb) || jsonb_build_object('notifications',
            coalesce(${alertEvents.details} -> 'notifications', '[]'::jsonb) || ${JSON.stringify(
              results.map((r) => ({ ...r, kind, at: new Date().toISOString() })),
            )}::jsonb)`,
        })
        .where(eq(alertEvents.id, eventId)),
    );
  }

  async function notify(rule: RuleRow, notice: Notice): Promise<void> {
    // The channels hold webhook URLs and tokens, sealed at rest: opening them is audited.
    if (isEnvelope(rule.notificationConfig))
      await db.withTenant(rule.tenantId, (tx) =>
        audit(
          tx,
          ALERTS_CONTEXT,
          {
            action: 'integration_alert.channels.decrypt',
            resourceType: 'integration_alert',
            resourceId: rule.id,
            details: { reason: 'notify', eventId: notice.eventId },
          },
          rule.tenantId,
        ),
      );
    const results = await notifier.notify(rule.tenantId, rule, openChannels(sealer, rule), notice);
    for (const failed of results.filter((r) => !r.ok))
      deps.log?.warn(
        { alertId: rule.id, channel: failed.type, error: failed.error, status: failed.status },
        'alert notification failed',
      );
    await recordNotifications(rule.tenantId, notice.eventId, notice.kind, results);
  }

  async function fire(rule: RuleRow, c: StoredConditions, value: number | null, now: Date): Promise<void> {
    const message = describe(rule, c, value);
    const event = await db.withTenant(rule.tenantId, async (tx) => {
      const [created] = await tx
        .insert(alertEvents)
        .values({
          tenantId: rule.tenantId,
          alertId: rule.id,
          severity: c.severity,
          message,
          details: {
            type: rule.alertType,
            value,
            threshold: c.threshold,
            operator: c.operator,
            windowSeconds: c.windowSeconds,
            forSeconds: c.forSeconds,
            scope: c.scope,
          },
        })
        .returning();
      const updated = await tx
        .update(integrationAlerts)
        .set({
          state: 'firing',
          firingEventId: created.id,
          lastTriggered: now,
          lastNotifiedAt: now,
          triggerCount: sql`${integrationAlerts.triggerCount} + 1`,
        })
        .where(and(eq(integrationAlerts.id, rule.id), ne(integrationAlerts.state, 'firing')))
        .returning({ id: integrationAlerts.id });
      // Someone else moved the rule meanwhile: do not fire twice.
      if (updated.length === 0) {
        await tx.delete(alertEvents).where(eq(alertEvents.id, created.id));
        return null;
      }
      return created;
    });
    if (!event) return;
    events.publish('alert.triggered', {
      tenantId: rule.tenantId,
      alertId: rule.id,
      eventId: event.id,
      alertName: rule.alertName,
      alertType: rule.alertType,
      severity: c.severity,
      message,
      value,
      threshold: c.threshold,
    });
    await notify(rule, {
      kind: 'triggered',
      eventId: event.id,
      severity: c.severity,
      message,
      value,
      threshold: c.threshold,
      time: now.toISOString(),
    });
  }

  async function resolve(
    rule: RuleRow,
    c: StoredConditions,
    value: number | null,
    why: string,
  ): Promise<void> {
    const eventId = rule.firingEventId;
    const message = `resolved: ${why}`;
    const done = await db.withTenant(rule.tenantId, async (tx) => {
      const moved = await tx
        .update(integrationAlerts)
        .set({ state: 'ok', pendingSince: null, firingEventId: null })
        .where(and(eq(integrationAlerts.id, rule.id), eq(integrationAlerts.state, 'firing')))
        .returning({ id: integrationAlerts.id });
      if (moved.length === 0 || !eventId) return false;
      await tx
        .update(alertEvents)
        .set({ resolved: true, resolvedAt: sql`now()`, resolvedBy: 'system' })
        .where(and(eq(alertEvents.id, eventId), eq(alertEvents.resolved, false)));
      return true;
    });
    if (!done || !eventId) return;
    events.publish('alert.resolved', {
      tenantId: rule.tenantId,
      alertId: rule.id,
      eventId,
      alertName: rule.alertName,
      severity: c.severity,
      message,
      value,
    });
    await notify(rule, {
      kind: 'resolved',
      eventId,
      severity: c.severity,
      message,
      value,
      threshold: c.threshold,
      time: new Date().toISOString(),
    });
  }

  async function evaluateRule(rule: RuleRow, now: Date): Promise<void> {
    const c = conditionsOf(rule);
    if (!rule.isActive) {
      if (rule.state === 'firing') await resolve(rule, c, null, 'the rule was disabled');
      else if (rule.state === 'pending')
        await db.withTenant(rule.tenantId, (tx) =>
          tx
            .update(integrationAlerts)
            .set({ state: 'ok', pendingSince: null })
            .where(eq(integrationAlerts.id, rule.id)),
        );
      return;
    }
    const value = await db.withTenant(rule.tenantId, (tx) => measure(tx, rule, c));
    const breaching = value !== null && compare(value, c.operator, c.threshold);
    await db.withTenant(rule.tenantId, (tx) =>
      tx
        .update(integrationAlerts)
        .set({
          currentValue: value === null ? null : String(Math.round(value * 10_000) / 10_000),
          lastEvaluatedAt: now,
        })
        .where(eq(integrationAlerts.id, rule.id)),
    );

    if (!breaching) {
      if (rule.state === 'firing')
        await resolve(rule, c, value, describe(rule, c, value).replace(/ [>≥<≤] /, ' no longer beyond '));
      else if (rule.state === 'pending')
        await db.withTenant(rule.tenantId, (tx) =>
          tx
            .update(integrationAlerts)
            .set({ state: 'ok', pendingSince: null })
            .where(eq(integrationAlerts.id, rule.id)),
        );
      return;
    }
    if (rule.state === 'ok') {
      if (c.forSeconds <= 0) return fire(rule, c, value, now);
      await db.withTenant(rule.tenantId, (tx) =>
        tx
          .update(integrationAlerts)
          .set({ state: 'pending', pendingSince: now })
          .where(and(eq(integrationAlerts.id, rule.id), eq(integrationAlerts.state, 'ok'))),
      );
      return;
    }
    if (rule.state === 'pending') {
      const since = rule.pendingSince?.getTime() ?? now.getTime();
      if (now.getTime() - since >= c.forSeconds * 1000) await fire(rule, c, value, now);
      return;
    }
    // Firing and still breaching: notify again only after the repeat interval, unless acknowledged.
    if (c.repeatIntervalSeconds && rule.firingEventId && rule.lastNotifiedAt) {
      if (now.getTime() - rule.lastNotifiedAt.getTime() < c.repeatIntervalSeconds * 1000) return;
      const eventId = rule.firingEventId;
      const [event] = await db.withTenant(rule.tenantId, (tx) =>
        tx.select().from(alertEvents).where(eq(alertEvents.id, eventId)),
      );
      if (!event || event.acknowledged) return;
      await db.withTenant(rule.tenantId, (tx) =>
        tx.update(integrationAlerts).set({ lastNotifiedAt: now }).where(eq(integrationAlerts.id, rule.id)),
      );
      await notify(rule, {
        kind: 'repeat',
        eventId,
        severity: c.severity,
        message: `still firing: ${describe(rule, c, value)}`,
        value,
        threshold: c.threshold,
        time: now.toISOString(),
      });
    }
  }

  return {
    /** Notifies a rule's channels that a user resolved its event (by the API, not by evaluation). */
    async notifyResolved(tenantId: string, ruleId: string, eventId: string, message: string): Promise<void> {
      const [rule] = await db.withTenant(tenantId, (tx) =>
        tx.select().from(integrationAlerts).where(eq(integrationAlerts.id, ruleId)),
      );
      if (!rule) return;
      const c = conditionsOf(rule);
      await notify(rule, {
        kind: 'resolved',
        eventId,
        severity: c.severity,
        message,
        value: null,
        threshold: c.threshold,
        time: new Date().toISOString(),
      });
    },

    /** One evaluation of every rule of every tenant. */
    async evaluate(now = new Date()): Promise<void> {
      const rules = await db.withPlatform((tx) =>
        tx
          .select()
          .from(integrationAlerts)
          .where(or(eq(integrationAlerts.isActive, true), ne(integrationAlerts.state, 'ok'))),
      );
      for (const rule of rules) {
        try {
          await evaluateRule(rule, now);
        } catch (error) {
          deps.log?.warn({ err: error, alertId: rule.id }, 'alert rule evaluation failed');
        }
      }
    },
  };
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;
