/**
 * Alert rules (integration_alerts) and their events (alert_events): CRUD, acknowledge and resolve.
 * A rule's settings live in the seed's columns (alert_type, alert_name, connection_id,
 * threshold_value) plus `conditions` (scope, operator, window, for, statistic, severity, repeat) and
 * `notification_config` (channels). Channel URLs and headers carry secrets (Slack/Teams webhook
 * tokens, bearer headers), so the column holds them sealed like connection credentials, beside their
 * masked form (`shown`) for responses; they are opened only to send a notification, or to keep a
 * channel a PATCH sends back masked.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../../platform/audit.js';
import { actorOf } from '../../platform/auth/principal.js';
import { type EncryptedEnvelope, isEnvelope, type Sealer, sealedBinding } from '../../platform/crypto.js';
import { type Database, isUuid } from '../../platform/db/client.js';
import { isForeignKeyViolation } from '../../platform/db/pg-errors.js';
import { alertEvents, integrationAlerts } from '../../platform/db/schema.js';
import { KryonixError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { keyset, type Page, toPage } from '../../platform/pagination.js';

export const ALERT_TYPES = [
  'error_rate',
  'response_time',
  'rate_limit',
  'health_check',
  'webhook_failures',
  'queue_backlog',
] as const;
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export const OPERATORS = ['gt', 'gte', 'lt', 'lte'] as const;
export const CHANNEL_TYPES = ['email', 'slack', 'teams', 'webhook'] as const;

export type AlertType = (typeof ALERT_TYPES)[number];
export type Severity = (typeof SEVERITIES)[number];

export interface Scope {
  kind: 'all' | 'connection' | 'subscription';
  connectionId?: string;
  subscriptionId?: string;
}

export interface Condition {
  threshold: number;
  operator: (typeof OPERATORS)[number];
  windowSeconds: number;
  forSeconds: number;
  statistic?: 'avg' | 'p95';
  minRequests?: number;
}

export type Channel =
  | { type: 'email'; connectionId: string; to: string[] }
  | { type: 'slack' | 'teams' | 'webhook'; url: string; headers?: Record<string, string> };

export interface RuleInput {
  name: string;
  type: AlertType;
  scope?: Scope;
  condition: Partial<Condition> & { threshold: number };
  severity?: Severity;
  repeatIntervalSeconds?: number | null;
  channels?: Channel[];
  isActive?: boolean;
}

/** What `conditions` holds. */
export interface StoredConditions extends Condition {
  scope: Scope;
  severity: Severity;
  repeatIntervalSeconds: number | null;
}

export type RuleRow = typeof integrationAlerts.$inferSelect;

const DEFAULT_WINDOW: Record<AlertType, number> = {
  error_rate: 300,
  response_time: 300,
  rate_limit: 300,
  health_check: 0,
  webhook_failures: 3600,
  queue_backlog: 300,
};

function invalid(path: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `${path} ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

/** `https://hooks.slack.com/services/T0/B0/xyz` → `https://hooks.slack.com/…` */
export function maskUrl(raw: string): string {
  try {
    return `${new URL(raw).origin}/…`;
  } catch {
    return '…';
  }
}

function maskChannel(channel: Channel): Channel {
  if (channel.type === 'email') return channel;
  return {
    type: channel.type,
    url: maskUrl(channel.url),
    ...(channel.headers
      ? { headers: Object.fromEntries(Object.keys(channel.headers).map((k) => [k, '[redacted]'])) }
      : {}),
  };
}

export function conditionsOf(row: RuleRow): StoredConditions {
  return row.conditions as StoredConditions;
}

/** notification_config: the sealed channels and their masked form. */
type SealedChannels = EncryptedEnvelope & { shown: Channel[] };
/** notification_config as written before it was sealed (rows not yet migrated by `sealPlainChannels`). */
type PlainChannels = { channels?: Channel[] };

const bindingOf = (ruleId: string) => sealedBinding('integration_alerts', 'notification_config', ruleId);

function sealChannels(sealer: Sealer, ruleId: string, channels: Channel[]): SealedChannels {
  return { ...sealer.seal(channels, bindingOf(ruleId)), shown: channels.map(maskChannel) };
}

/** A rule's channels in clear, for sending a notification. */
export function openChannels(sealer: Sealer, row: RuleRow): Channel[] {
  const stored = row.notificationConfig;
  if (isEnvelope(stored)) return sealer.open<Channel[]>(stored, bindingOf(row.id));
  return (stored as PlainChannels | null)?.channels ?? [];
}

function shownChannels(row: RuleRow): Channel[] {
  const stored = row.notificationConfig;
  if (isEnvelope(stored)) return (stored as SealedChannels).shown;
  return ((stored as PlainChannels | null)?.channels ?? []).map(maskChannel);
}

/**
 * Seals the channels of rules written in clear (before sealing existed); run at start. Rows are
 * locked and re-checked, so nodes starting together do not seal a row twice.
 */
export async function sealPlainChannels(db: Database, sealer: Sealer): Promise<number> {
  return db.withPlatform(async (tx) => {
    const rows = await tx.execute<{ id: string; value: PlainChannels }>(
      sql`SELECT id, notification_config AS value FROM integration_alerts
        WHERE notification_config ? 'channels' FOR UPDATE`,
    );
    for (const row of rows.rows) {
      const sealed = sealChannels(sealer, row.id, row.value.channels ?? []);
      await tx.execute(
        sql`UPDATE integration_alerts SET notification_config = ${JSON.stringify(sealed)}::jsonb WHERE id = ${row.id}`,
      );
    }
    return rows.rows.length;
  });
}

export function ruleView(row: RuleRow) {
  const c = conditionsOf(row);
  return {
    id: row.id,
    name: row.alertName,
    type: row.alertType as AlertType,
    scope: c.scope,
    condition: {
      threshold: Number(row.thresholdValue),
      operator: c.operator,
      windowSeconds: c.windowSeconds,
      forSeconds: c.forSeconds,
      ...(c.statistic ? { statistic: c.statistic } : {}),
      ...(c.minRequests !== undefined ? { minRequests: c.minRequests } : {}),
    },
    severity: c.severity,
    repeatIntervalSeconds: c.repeatIntervalSeconds,
    channels: shownChannels(row),
    isActive: row.isActive,
    state: row.state,
    currentValue: row.currentValue === null ? null : Number(row.currentValue),
    lastTriggered: row.lastTriggered?.toISOString() ?? null,
    lastEvaluatedAt: row.lastEvaluatedAt?.toISOString() ?? null,
    triggerCount: row.triggerCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function checkChannels(channels: Channel[]): void {
  channels.forEach((channel, i) => {
    if (channel.type === 'email') return;
    let url: URL;
    try {
      url = new URL(channel.url);
    } catch {
      throw invalid(`/body/channels/${i}/url`, 'is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw invalid(`/body/channels/${i}/url`, 'must be http or https');
  });
}

/** The stored form of a rule (`id`: the row's, for the seal); `previous` fills what a PATCH leaves out. */
function normalise(sealer: Sealer, id: string, input: Partial<RuleInput>, previous?: RuleRow) {
  const before = previous ? ruleView(previous) : undefined;
  const type = (input.type ?? before?.type) as AlertType;
  const scope = input.scope ?? before?.scope ?? { kind: 'all' };
  if (scope.kind === 'connection' && !scope.connectionId)
    throw invalid('/body/scope/connectionId', 'is required');
  if (scope.kind === 'subscription' && !scope.subscriptionId)
    throw invalid('/body/scope/subscriptionId', 'is required');
  if (scope.kind === 'subscription' && !['webhook_failures', 'queue_backlog'].includes(type))
    throw invalid(
      '/body/scope/kind',
      `subscription scope applies to webhook_failures and queue_backlog, not ${type}`,
    );
  if (scope.kind === 'connection' && ['webhook_failures', 'queue_backlog'].includes(type))
    throw invalid('/body/scope/kind', `${type} is scoped to all or a subscription`);
  const merged = { ...before?.condition, ...input.condition } as Partial<Condition>;
  if (merged.threshold === undefined) throw invalid('/body/condition/threshold', 'is required');
  const conditions: StoredConditions = {
    scope: {
      kind: scope.kind,
      ...(scope.kind === 'connection' ? { connectionId: scope.connectionId } : {}),
      ...(scope.kind === 'subscription' ? { subscriptionId: scope.subscriptionId } : {}),
    },
    threshold: merged.threshold,
    operator: merged.operator ?? 'gt',
    windowSeconds: merged.windowSeconds ?? DEFAULT_WINDOW[type],
    forSeconds: merged.forSeconds ?? 0,
    ...(type === 'response_time' ? { statistic: merged.statistic ?? 'avg' } : {}),
    ...(type === 'error_rate' || type === 'response_time' ? { minRequests: merged.minRequests ?? 1 } : {}),
    severity: input.severity ?? before?.severity ?? 'warning',
    repeatIntervalSeconds:
      input.repeatIntervalSeconds !== undefined
        ? input.repeatIntervalSeconds
        : (before?.repeatIntervalSeconds ?? null),
  };
  // Channels left out keep their seal; a channel sent back masked (as GET shows it) keeps its stored
  // URL and headers.
  const keep = input.channels === undefined && previous && isEnvelope(previous.notificationConfig);
  let notificationConfig = keep ? (previous.notificationConfig as SealedChannels) : undefined;
  if (!notificationConfig) {
    const masked = (channel: Channel): channel is Extract<Channel, { url: string }> =>
      channel.type !== 'email' && channel.url.endsWith('/…');
    const prevChannels =
      previous && (input.channels === undefined || input.channels.some(masked))
        ? openChannels(sealer, previous)
        : [];
    const channels = (input.channels ?? prevChannels).map((channel, i) => {
      if (!masked(channel)) return channel;
      const stored = prevChannels[i];
      if (stored && stored.type === channel.type && 'url' in stored && maskUrl(stored.url) === channel.url)
        return { ...channel, url: stored.url, headers: stored.headers };
      throw invalid(`/body/channels/${i}/url`, 'is masked; send the full URL');
    });
    checkChannels(channels);
    notificationConfig = sealChannels(sealer, id, channels);
  }
  return {
    alertType: type,
    alertName: input.name ?? previous?.alertName ?? '',
    connectionId: conditions.scope.kind === 'connection' ? (conditions.scope.connectionId ?? null) : null,
    conditions,
    thresholdValue: String(conditions.threshold),
    notificationConfig,
    isActive: input.isActive ?? previous?.isActive ?? true,
  };
}

const notFound = () => new KryonixError('KRX_NOT_FOUND', 'alert rule not found');
const eventNotFound = () => new KryonixError('KRX_NOT_FOUND', 'alert event not found');

export type EventRow = typeof alertEvents.$inferSelect;

export function eventView(row: EventRow & { alertName?: string | null }) {
  return {
    id: row.id,
    alertId: row.alertId,
    alertName: row.alertName ?? null,
    severity: row.severity,
    message: row.message,
    details: row.details,
    acknowledged: row.acknowledged,
    acknowledgedBy: row.acknowledgedBy,
    resolved: row.resolved,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    resolvedBy: row.resolvedBy,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface EventQuery {
  limit: number;
  cursor?: string;
  alertId?: string;
  state?: 'firing' | 'resolved';
}

export function createAlertRules(
  db: Database,
  sealer: Sealer,
  events: EventBus,
  hooks: { onResolved?: (tenantId: string, ruleId: string, eventId: string, message: string) => void } = {},
) {
  async function load(tenantId: string, id: string): Promise<RuleRow> {
    if (!isUuid(id)) throw notFound();
    const [row] = await db.withTenant(tenantId, (tx) =>
      tx.select().from(integrationAlerts).where(eq(integrationAlerts.id, id)),
    );
    if (!row) throw notFound();
    return row;
  }

  async function write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isForeignKeyViolation(error))
        throw invalid('/body/scope/connectionId', 'is not a connection of this tenant');
      throw error;
    }
  }

  return {
    async list(
      tenantId: string,
      query: { limit: number; cursor?: string },
    ): Promise<Page<ReturnType<typeof ruleView>>> {
      const page = keyset(integrationAlerts.createdAt, integrationAlerts.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(integrationAlerts), cursorAt: page.at })
          .from(integrationAlerts)
          .where(page.where)
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, ruleView);
    },

    async get(tenantId: string, id: string) {
      return ruleView(await load(tenantId, id));
    },

    async create(context: RequestContext, tenantId: string, input: RuleInput) {
      const id = randomUUID();
      const values = normalise(sealer, id, input);
      return write(() =>
        db.withTenant(tenantId, async (tx) => {
          const [row] = await tx
            .insert(integrationAlerts)
            .values({ ...values, id, tenantId, createdBy: actorOf(context.principal) })
            .returning();
          await audit(tx, context, {
            action: 'alert_rule.create',
            resourceType: 'alert_rule',
            resourceId: row.id,
            details: {
              type: values.alertType,
              channels: (input.channels ?? []).map((c) => c.type),
            },
          });
          return ruleView(row);
        }),
      );
    },

    async update(context: RequestContext, tenantId: string, id: string, patch: Partial<RuleInput>) {
      const previous = await load(tenantId, id);
      const values = normalise(sealer, id, patch, previous);
      return write(() =>
        db.withTenant(tenantId, async (tx) => {
          const [row] = await tx
            .update(integrationAlerts)
            .set({ ...values, updatedAt: sql`now()` })
            .where(eq(integrationAlerts.id, id))
            .returning();
          if (!row) throw notFound();
          await audit(tx, context, {
            action: 'alert_rule.update',
            resourceType: 'alert_rule',
            resourceId: id,
            details: { fields: Object.keys(patch) },
          });
          return ruleView(row);
        }),
      );
    },

    async remove(context: RequestContext, tenantId: string, id: string) {
      if (!isUuid(id)) throw notFound();
      await db.withTenant(tenantId, async (tx) => {
        const deleted = await tx
          .delete(integrationAlerts)
          .where(eq(integrationAlerts.id, id))
          .returning({ id: integrationAlerts.id });
        if (deleted.length === 0) throw notFound();
        await audit(tx, context, { action: 'alert_rule.delete', resourceType: 'alert_rule', resourceId: id });
      });
    },

    async listEvents(tenantId: string, query: EventQuery) {
      const filters: SQL[] = [];
      if (query.alertId) filters.push(eq(alertEvents.alertId, query.alertId));
      if (query.state) filters.push(eq(alertEvents.resolved, query.state === 'resolved'));
      const page = keyset(alertEvents.createdAt, alertEvents.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ event: alertEvents, alertName: integrationAlerts.alertName, cursorAt: page.at })
          .from(alertEvents)
          .leftJoin(integrationAlerts, eq(integrationAlerts.id, alertEvents.alertId))
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(
        rows.map(({ event, alertName, cursorAt }) => ({ ...event, alertName, cursorAt })),
        query.limit,
        eventView,
      );
    },

    async acknowledge(context: RequestContext, tenantId: string, id: string) {
      if (!isUuid(id)) throw eventNotFound();
      return db.withTenant(tenantId, async (tx) => {
        const [row] = await tx
          .update(alertEvents)
          .set({ acknowledged: true, acknowledgedBy: actorOf(context.principal) })
          .where(eq(alertEvents.id, id))
          .returning();
        if (!row) throw eventNotFound();
        await audit(tx, context, {
          action: 'alert_event.acknowledge',
          resourceType: 'alert_event',
          resourceId: id,
        });
        return eventView(row);
      });
    },

    /** Resolves an event by hand; a rule still breaching fires again after its `for` duration. */
    async resolve(context: RequestContext, tenantId: string, id: string) {
      if (!isUuid(id)) throw eventNotFound();
      const { row, wasOpen } = await db.withTenant(tenantId, async (tx) => {
        const [current] = await tx.select().from(alertEvents).where(eq(alertEvents.id, id));
        if (!current) throw eventNotFound();
        if (current.resolved) return { row: current, wasOpen: false };
        const [updated] = await tx
          .update(alertEvents)
          .set({ resolved: true, resolvedAt: sql`now()`, resolvedBy: actorOf(context.principal) })
          .where(eq(alertEvents.id, id))
          .returning();
        await tx
          .update(integrationAlerts)
          .set({ state: 'ok', pendingSince: null, firingEventId: null })
          .where(and(eq(integrationAlerts.id, current.alertId), eq(integrationAlerts.firingEventId, id)));
        await audit(tx, context, {
          action: 'alert_event.resolve',
          resourceType: 'alert_event',
          resourceId: id,
        });
        return { row: updated, wasOpen: true };
      });
      if (wasOpen) {
        const message = `resolved by ${actorOf(context.principal)}: ${row.message}`;
        events.publish('alert.resolved', {
          tenantId,
          alertId: row.alertId,
          eventId: row.id,
          severity: row.severity,
          message,
        });
        hooks.onResolved?.(tenantId, row.alertId, row.id, message);
      }
      return eventView(row);
    },
  };
}

export type AlertRules = ReturnType<typeof createAlertRules>;
