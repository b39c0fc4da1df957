/**
 * Outbound subscriptions: CRUD for `/api/integrations/webhooks/subscriptions`. Target URLs pass the SSRF
 * check when saved (IP literals; names are checked at connect time by the worker's guarded dispatcher).
 * Signing secrets (`whsec_`) and target credentials are sealed together; the signing secret is shown on
 * creation, by `GET .../secret` (audited) and after a rotation.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { checkTargetUrl } from '../gateway/ssrf.js';
import { audit, type RequestContext } from '../platform/audit.js';
import { isEnvelope, type Sealer } from '../platform/crypto.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { tenants, webhookSubscriptions } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { type CidrList, parseCidrList } from '../platform/net/cidr.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import { compileFilter, compileTemplate, type FilterSpec, type JsonValue } from '../transform/index.js';
import { type RetryConfig, validateRetryConfig } from './outbound/retry-schedule.js';
import {
  activeSecrets,
  auditSecretsOpened,
  openFor,
  rotate,
  rotationEndsAt,
  SUBSCRIPTION_SECRET_COLUMN,
  type SubscriptionSecrets,
  sealFor,
  type TargetAuth,
} from './secrets.js';
import { generateWebhookSecret } from './signing/index.js';

export interface SubscriptionInput {
  name: string;
  description?: string | null;
  targetUrl: string;
  events: string[];
  eventFilters?: FilterSpec | null;
  headers?: Record<string, string> | null;
  authentication?: TargetAuth | null;
  payloadTemplate?: JsonValue | null;
  retryConfig?: RetryConfig | null;
  timeoutSeconds?: number;
  isActive?: boolean;
  /** Import an existing `whsec_` secret instead of generating one. */
  signingSecret?: string;
}

export type SubscriptionPatch = Partial<Omit<SubscriptionInput, 'signingSecret'>>;

export interface SubscriptionView {
  id: string;
  name: string;
  description: string | null;
  targetUrl: string;
  events: string[];
  eventFilters: unknown;
  headers: Record<string, string> | null;
  authentication: Record<string, string> | null;
  payloadTemplate: unknown;
  retryConfig: RetryConfig | null;
  timeoutSeconds: number;
  isActive: boolean;
  disabledReason: string | null;
  lastSent: string | null;
  sendCount: number;
  successCount: number;
  failureCount: number;
  failingSince: string | null;
  secretRotationEndsAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  signingSecret?: string;
}

type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;

const MASK = '********';
/** Headers the platform sets itself; a subscription cannot override them. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-kryonix-event',
  'x-kryonix-subscription',
  'transfer-encoding',
  'connection',
]);

function invalid(path: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `${path} ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

function maskedAuth(target: TargetAuth | undefined): Record<string, string> | null {
  if (!target || target.type === 'none') return null;
  if (target.type === 'basic') return { type: 'basic', username: target.username, password: MASK };
  if (target.type === 'bearer') return { type: 'bearer', token: MASK };
  return { type: 'header', headerName: target.headerName, headerValue: MASK };
}

function toView(row: SubscriptionRow, secrets: SubscriptionSecrets | undefined): SubscriptionView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    targetUrl: row.targetUrl,
    events: row.events,
    eventFilters: row.eventFilters ?? null,
    headers: (row.headers as Record<string, string> | null) ?? null,
    authentication: maskedAuth(secrets?.target),
    payloadTemplate: row.payloadTemplate ?? null,
    retryConfig: (row.retryConfig as RetryConfig | null) ?? null,
    timeoutSeconds: row.timeoutSeconds,
    isActive: row.isActive,
    disabledReason: row.disabledReason,
    lastSent: row.lastSent?.toISOString() ?? null,
    sendCount: row.sendCount,
    successCount: row.successCount,
    failureCount: row.failureCount,
    failingSince: row.failingSince?.toISOString() ?? null,
    secretRotationEndsAt: secrets ? rotationEndsAt(secrets.signing) : null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function rethrowUnder(path: string, error: unknown): never {
  if (error instanceof KryonixError) {
    const issues = (error.extensions.errors as { path: string; message: string }[] | undefined) ?? [];
    throw new KryonixError('KRX_VALIDATION_FAILED', `${path}: ${error.message}`, {
      extensions: {
        errors: issues.length
          ? issues.map((issue) => ({ path: `${path}${issue.path}`, message: issue.message }))
          : [{ path, message: error.message }],
      },
    });
  }
  throw error;
}

export interface SubscriptionListQuery {
  limit: number;
  cursor?: string;
  isActive?: boolean;
}

export function createSubscriptionAdmin(
  db: Database,
  sealer: Sealer,
  events: EventBus,
  options: { platformAllowedNetworks: CidrList; defaultTimeoutSeconds: number },
) {
  async function allowedNetworksOf(tx: Tx, tenantId: string): Promise<CidrList> {
    const [tenant] = await tx
      .select({ settings: tenants.settings })
      .from(tenants)
      .where(eq(tenants.id, tenantId));
    const own = (tenant?.settings as { allowedNetworks?: string[] } | undefined)?.allowedNetworks ?? [];
    return [...options.platformAllowedNetworks, ...parseCidrList(own)];
  }

  async function check(tx: Tx, tenantId: string, input: SubscriptionPatch): Promise<void> {
    if (input.targetUrl !== undefined) {
      try {
        checkTargetUrl(input.targetUrl, await allowedNetworksOf(tx, tenantId));
      } catch (error) {
        if (error instanceof KryonixError && error.code === 'KRX_TARGET_FORBIDDEN') throw error;
        rethrowUnder('/targetUrl', error);
      }
    }
    if (input.eventFilters) {
      try {
        compileFilter(input.eventFilters);
      } catch (error) {
        rethrowUnder('/eventFilters', error);
      }
    }
    if (input.payloadTemplate !== undefined && input.payloadTemplate !== null) {
      try {
        compileTemplate(input.payloadTemplate);
      } catch (error) {
        rethrowUnder('/payloadTemplate', error);
      }
    }
    validateRetryConfig(input.retryConfig);
    for (const name of Object.keys(input.headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase()))
        throw invalid(`/headers/${name}`, 'is set by the platform');
    }
  }

  function changed(tenantId: string, id: string): void {
    events.publish('webhook.config_changed', { tenantId, kind: 'subscription', id });
  }

  async function load(tx: Tx, id: string): Promise<SubscriptionRow> {
    if (!isUuid(id)) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
    const [row] = await tx.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    if (!row) throw new KryonixError('KRX_NOT_FOUND', 'webhook subscription not found');
    return row;
  }

  const secretsOf = (row: SubscriptionRow) =>
    openFor<SubscriptionSecrets>(sealer, SUBSCRIPTION_SECRET_COLUMN, row.id, row.authentication);

  return {
    /** The view masks the target credential, but building it opens the secrets: audited, once per page. */
    async list(
      context: RequestContext,
      tenantId: string,
      query: SubscriptionListQuery,
    ): Promise<Page<SubscriptionView>> {
      const filters: SQL[] = [];
      if (query.isActive !== undefined) filters.push(eq(webhookSubscriptions.isActive, query.isActive));
      const page = keyset(webhookSubscriptions.createdAt, webhookSubscriptions.id, query.cursor);
      const rows = await db.withTenant(tenantId, async (tx) => {
        const found = await tx
          .select({ ...getTableColumns(webhookSubscriptions), cursorAt: page.at })
          .from(webhookSubscriptions)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1);
        const sealed = found.slice(0, query.limit).filter((row) => isEnvelope(row.authentication));
        if (sealed.length > 0)
          await auditSecretsOpened(
            tx,
            context,
            'webhook_subscription',
            { ids: sealed.map((row) => row.id) },
            'masked view',
          );
        return found;
      });
      return toPage(rows, query.limit, (row) => toView(row, secretsOf(row)));
    },

    async get(context: RequestContext, tenantId: string, id: string): Promise<SubscriptionView> {
      const row = await db.withTenant(tenantId, async (tx) => {
        const found = await load(tx, id);
        if (isEnvelope(found.authentication))
          await auditSecretsOpened(tx, context, 'webhook_subscription', { id }, 'masked view');
        return found;
      });
      return toView(row, secretsOf(row));
    },

    async create(
      context: RequestContext,
      tenantId: string,
      input: SubscriptionInput,
    ): Promise<SubscriptionView> {
      const id = randomUUID();
      const signingSecret = input.signingSecret ?? generateWebhookSecret();
      const secrets: SubscriptionSecrets = {
        signing: [{ secret: signingSecret }],
        target: input.authentication ?? { type: 'none' },
      };
      const view = await db.withTenant(tenantId, async (tx) => {
        await check(tx, tenantId, input);
        const [row] = await tx
          .insert(webhookSubscriptions)
          .values({
            id,
            tenantId,
            name: input.name,
            description: input.description ?? null,
            targetUrl: input.targetUrl,
            events: input.events,
            eventFilters: input.eventFilters ?? null,
            headers: input.headers ?? null,
            authentication: sealFor(sealer, SUBSCRIPTION_SECRET_COLUMN, id, secrets),
            payloadTemplate: input.payloadTemplate ?? null,
            retryConfig: input.retryConfig ?? null,
            timeoutSeconds: input.timeoutSeconds ?? options.defaultTimeoutSeconds,
            isActive: input.isActive ?? true,
            createdBy: context.principal.subject,
          })
          .returning();
        await audit(tx, context, {
          action: 'webhook_subscription.create',
          resourceType: 'webhook_subscription',
          resourceId: id,
          details: { events: input.events, targetAuth: secrets.target.type },
        });
        return toView(row, secrets);
      });
      changed(tenantId, id);
      return { ...view, signingSecret };
    },

    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: SubscriptionPatch,
    ): Promise<SubscriptionView> {
      const view = await db.withTenant(tenantId, async (tx) => {
        const row = await load(tx, id);
        await check(tx, tenantId, patch);
        let secrets = secretsOf(row);
        if (patch.authentication !== undefined && secrets) {
          secrets = { ...secrets, target: patch.authentication ?? { type: 'none' } };
        }
        const [updated] = await tx
          .update(webhookSubscriptions)
          .set({
            name: patch.name,
            description: patch.description,
            targetUrl: patch.targetUrl,
            events: patch.events,
            eventFilters: patch.eventFilters,
            headers: patch.headers,
            authentication:
              patch.authentication !== undefined && secrets
                ? sealFor(sealer, SUBSCRIPTION_SECRET_COLUMN, id, secrets)
                : undefined,
            payloadTemplate: patch.payloadTemplate,
            retryConfig: patch.retryConfig,
            timeoutSeconds: patch.timeoutSeconds,
            isActive: patch.isActive,
            // Re-enabling starts a fresh failure streak.
            ...(patch.isActive === true ? { disabledReason: null, failingSince: null } : {}),
            updatedAt: sql`now()`,
          })
          .where(eq(webhookSubscriptions.id, id))
          .returning();
        await audit(tx, context, {
          action: 'webhook_subscription.update',
          resourceType: 'webhook_subscription',
          resourceId: id,
          details: { fields: Object.keys(patch) },
        });
        return toView(updated, secrets);
      });
      changed(tenantId, id);
      return view;
    },

    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      await db.withTenant(tenantId, async (tx) => {
        await load(tx, id);
        await tx.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
        await audit(tx, context, {
          action: 'webhook_subscription.delete',
          resourceType: 'webhook_subscription',
          resourceId: id,
        });
      });
      changed(tenantId, id);
    },

    /** The active signing secrets, newest first: a decryption, audited. */
    async secret(context: RequestContext, tenantId: string, id: string) {
      return db.withTenant(tenantId, async (tx) => {
        const row = await load(tx, id);
        const secrets = secretsOf(row);
        await audit(tx, context, {
          action: 'webhook_subscription.secret.read',
          resourceType: 'webhook_subscription',
          resourceId: id,
        });
        const active = activeSecrets(secrets?.signing ?? []);
        return {
          secret: active[0] ?? null,
          previous: active.slice(1),
          rotationEndsAt: rotationEndsAt(secrets?.signing ?? []),
        };
      });
    },

    async rotateSecret(
      context: RequestContext,
      tenantId: string,
      id: string,
      input: { overlapSeconds?: number; secret?: string },
    ) {
      const overlapSeconds = input.overlapSeconds ?? 86_400;
      const next = input.secret ?? generateWebhookSecret();
      const result = await db.withTenant(tenantId, async (tx) => {
        const row = await load(tx, id);
        const current = secretsOf(row) ?? { signing: [], target: { type: 'none' as const } };
        const secrets: SubscriptionSecrets = {
          ...current,
          signing: rotate(current.signing, next, overlapSeconds),
        };
        await tx
          .update(webhookSubscriptions)
          .set({
            authentication: sealFor(sealer, SUBSCRIPTION_SECRET_COLUMN, id, secrets),
            updatedAt: sql`now()`,
          })
          .where(eq(webhookSubscriptions.id, id));
        await audit(tx, context, {
          action: 'webhook_subscription.rotate_secret',
          resourceType: 'webhook_subscription',
          resourceId: id,
          details: { overlapSeconds },
        });
        return { secret: next, rotationEndsAt: rotationEndsAt(secrets.signing) };
      });
      changed(tenantId, id);
      return result;
    },
  };
}

export type SubscriptionAdmin = ReturnType<typeof createSubscriptionAdmin>;
