/**
 * Inbound endpoints: CRUD for `/api/integrations/webhooks/endpoints`. Everything is checked when it is
 * saved (authentication settings, JSON Schema, pipeline, source networks), so the request path only runs
 * what already compiled. Secrets are sealed; responses show them masked, except a secret we generated,
 * shown once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq, getTableColumns, gte, type SQL, sql } from 'drizzle-orm';
import { audit, type RequestContext } from '../platform/audit.js';
import { isEnvelope, type Sealer } from '../platform/crypto.js';
import { type Database, isUuid, type Tx } from '../platform/db/client.js';
import { webhookEndpoints, webhookRejections } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { parseCidrList } from '../platform/net/cidr.js';
import { keyset, type Page, toPage } from '../platform/pagination.js';
import { compileSchema, validatePipeline } from '../transform/index.js';
import {
  activeSecrets,
  auditSecretsOpened,
  ENDPOINT_SECRET_COLUMN,
  type EndpointSecrets,
  openFor,
  rotate,
  rotationEndsAt,
  sealFor,
} from './secrets.js';
import { type AuthType, generateWebhookSecret, validateAuth } from './signing/index.js';

export interface ResponseConfig {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface EndpointOptions {
  /** How long a provider delivery id is remembered (default 24 h; 0 disables dedup). */
  dedupWindowSeconds?: number;
  handshakes?: {
    /** Slack `url_verification` (default on). */
    slack?: boolean;
    /** Microsoft Graph `validationToken` echo (default off). */
    graph?: boolean;
    /** GET challenge echo, e.g. `{ param: 'hub.challenge', verifyTokenParam: 'hub.verify_token' }`. */
    getChallenge?: { param: string; verifyTokenParam?: string } | null;
  };
}

export interface EndpointInput {
  name: string;
  description?: string | null;
  authenticationType?: AuthType;
  /** The provider's secret (Stripe whsec_, GitHub secret, ...); generated for standard-webhooks when absent. */
  secretKey?: string | null;
  authConfig?: Record<string, unknown> | null;
  allowedMethods?: string[];
  allowedSources?: string[] | null;
  payloadValidationSchema?: Record<string, unknown> | boolean | null;
  transformationConfig?: unknown[] | null;
  responseConfig?: ResponseConfig | null;
  rateLimit?: number;
  isActive?: boolean;
  options?: EndpointOptions | null;
  verifyToken?: string | null;
}

export type EndpointPatch = Partial<EndpointInput>;

export interface EndpointView {
  id: string;
  name: string;
  description: string | null;
  url: string;
  authenticationType: string;
  authConfig: Record<string, unknown> | null;
  secretKey: string | null;
  secretRotationEndsAt: string | null;
  allowedMethods: string[];
  allowedSources: string[] | null;
  payloadValidationSchema: unknown;
  transformationConfig: unknown;
  responseConfig: ResponseConfig | null;
  rateLimit: number;
  isActive: boolean;
  options: EndpointOptions | null;
  lastTriggered: string | null;
  triggerCount: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Only in the answer that generated it. */
  generatedSecret?: string;
}

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

const MASK = '********';
const SLUG_BYTES = 24; // 32 url-safe characters, 192 bits

export function inboundPath(slug: string): string {
  return `/webhooks/${slug}`;
}

function invalid(path: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `${path} ${message}`, {
    extensions: { errors: [{ path, message }] },
  });
}

/** Re-labels a KryonixError's issue paths under a body field. */
function under(field: string, error: unknown): never {
  if (error instanceof KryonixError) {
    const errors =
      (error.extensions.errors as { path?: string; field?: string; message: string }[] | undefined) ?? [];
    throw new KryonixError('KRX_VALIDATION_FAILED', `/${field}: ${error.message}`, {
      extensions: {
        errors: errors.length
          ? errors.map((issue) => ({
              path: `/${field}${issue.path ?? (issue.field ? `/${issue.field.replaceAll('.', '/')}` : '')}`,
              message: issue.message,
            }))
          : [{ path: `/${field}`, message: error.message }],
      },
    });
  }
  throw error;
}

function toView(row: EndpointRow, secrets: EndpointSecrets | undefined): EndpointView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    url: inboundPath(row.webhookUrl),
    authenticationType: row.authenticationType,
    authConfig: (row.authConfig as Record<string, unknown> | null) ?? null,
    secretKey: row.secretKey ? MASK : null,
    secretRotationEndsAt: secrets ? rotationEndsAt(secrets.secrets) : null,
    allowedMethods: row.allowedMethods,
    allowedSources: (row.allowedSources as string[] | null) ?? null,
    payloadValidationSchema: row.payloadValidationSchema ?? null,
    transformationConfig: row.transformationConfig ?? null,
    responseConfig: (row.responseConfig as ResponseConfig | null) ?? null,
    rateLimit: row.rateLimit,
    isActive: row.isActive,
    options: (row.options as EndpointOptions | null) ?? null,
    lastTriggered: row.lastTriggered?.toISOString() ?? null,
    triggerCount: row.triggerCount,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function checkSettings(
  merged: EndpointInput & { authenticationType: AuthType },
  secrets: EndpointSecrets | undefined,
): void {
  try {
    validateAuth({
      type: merged.authenticationType,
      secrets: secrets ? activeSecrets(secrets.secrets) : [],
      config: merged.authConfig ?? undefined,
    });
  } catch (error) {
    under('authConfig', error);
  }
  if (merged.allowedSources) {
    try {
      parseCidrList(merged.allowedSources);
    } catch (error) {
      under('allowedSources', error);
    }
  }
  if (merged.payloadValidationSchema !== undefined && merged.payloadValidationSchema !== null) {
    try {
      compileSchema(merged.payloadValidationSchema);
    } catch (error) {
      under('payloadValidationSchema', error);
    }
  }
  if (merged.transformationConfig) {
    try {
      validatePipeline(merged.transformationConfig);
    } catch (error) {
      under('transformationConfig', error);
    }
  }
  const status = merged.responseConfig?.status;
  if (status !== undefined && (status < 200 || status > 299)) {
    throw invalid('/responseConfig/status', 'must be a 2xx status: providers retry anything else');
  }
  const challenge = merged.options?.handshakes?.getChallenge;
  if (challenge?.verifyTokenParam && !secrets?.verifyToken) {
    throw invalid('/verifyToken', 'is required when getChallenge has a verifyTokenParam');
  }
}

export interface EndpointListQuery {
  limit: number;
  cursor?: string;
  isActive?: boolean;
}

export function createEndpointAdmin(db: Database, sealer: Sealer, events: EventBus) {
  function changed(tenantId: string, row: { id: string; webhookUrl: string }): void {
    events.publish('webhook.config_changed', {
      tenantId,
      kind: 'endpoint',
      id: row.id,
      slug: row.webhookUrl,
    });
  }

  async function load(tx: Tx, id: string): Promise<EndpointRow> {
    if (!isUuid(id)) throw new KryonixError('KRX_NOT_FOUND', 'webhook endpoint not found');
    const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    if (!row) throw new KryonixError('KRX_NOT_FOUND', 'webhook endpoint not found');
    return row;
  }

  const secretsOf = (row: EndpointRow) =>
    openFor<EndpointSecrets>(sealer, ENDPOINT_SECRET_COLUMN, row.id, row.secretKey);

  return {
    async list(tenantId: string, query: EndpointListQuery): Promise<Page<EndpointView>> {
      const filters: SQL[] = [];
      if (query.isActive !== undefined) filters.push(eq(webhookEndpoints.isActive, query.isActive));
      const page = keyset(webhookEndpoints.createdAt, webhookEndpoints.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(webhookEndpoints), cursorAt: page.at })
          .from(webhookEndpoints)
          .where(and(...filters, page.where))
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, (row) => toView(row, undefined));
    },

    /** The view shows when a secret rotation ends, which is inside the sealed secrets: audited. */
    async get(context: RequestContext, tenantId: string, id: string): Promise<EndpointView> {
      const row = await db.withTenant(tenantId, async (tx) => {
        const found = await load(tx, id);
        if (isEnvelope(found.secretKey))
          await auditSecretsOpened(tx, context, 'webhook_endpoint', { id }, 'masked view');
        return found;
      });
      return toView(row, secretsOf(row));
    },

    async create(context: RequestContext, tenantId: string, input: EndpointInput): Promise<EndpointView> {
      const id = randomUUID();
      const authenticationType = input.authenticationType ?? 'none';
      let generatedSecret: string | undefined;
      let secret = input.secretKey ?? undefined;
      if (!secret && authenticationType === 'standard-webhooks') {
        secret = generateWebhookSecret();
        generatedSecret = secret;
      }
      const secrets: EndpointSecrets | undefined =
        secret || input.verifyToken
          ? {
              secrets: secret ? [{ secret }] : [],
              ...(input.verifyToken ? { verifyToken: input.verifyToken } : {}),
            }
          : undefined;
      checkSettings({ ...input, authenticationType }, secrets);
      const slug = randomBytes(SLUG_BYTES).toString('base64url');
      const view = await db.withTenant(tenantId, async (tx) => {
        const [row] = await tx
          .insert(webhookEndpoints)
          .values({
            id,
            tenantId,
            name: input.name,
            description: input.description ?? null,
            webhookUrl: slug,
            secretKey: secrets ? sealFor(sealer, ENDPOINT_SECRET_COLUMN, id, secrets) : null,
            allowedMethods: input.allowedMethods ?? ['POST'],
            allowedSources: input.allowedSources ?? null,
            authenticationType,
            authConfig: input.authConfig ?? null,
            payloadValidationSchema: input.payloadValidationSchema ?? null,
            transformationConfig: input.transformationConfig ?? null,
            responseConfig: input.responseConfig ?? null,
            options: input.options ?? null,
            isActive: input.isActive ?? true,
            rateLimit: input.rateLimit ?? 1000,
            createdBy: context.principal.subject,
          })
          .returning();
        await audit(tx, context, {
          action: 'webhook_endpoint.create',
          resourceType: 'webhook_endpoint',
          resourceId: id,
          details: { authenticationType, secretGenerated: generatedSecret !== undefined },
        });
        return toView(row, secrets);
      });
      return generatedSecret ? { ...view, generatedSecret } : view;
    },

    async update(
      context: RequestContext,
      tenantId: string,
      id: string,
      patch: EndpointPatch,
    ): Promise<EndpointView> {
      const view = await db.withTenant(tenantId, async (tx) => {
        const row = await load(tx, id);
        let secrets = secretsOf(row);
        if (patch.secretKey !== undefined || patch.verifyToken !== undefined) {
          const secretList =
            patch.secretKey === undefined
              ? (secrets?.secrets ?? [])
              : patch.secretKey
                ? [{ secret: patch.secretKey }]
                : [];
          const verifyToken =
            patch.verifyToken === undefined ? secrets?.verifyToken : (patch.verifyToken ?? undefined);
          secrets =
            secretList.length || verifyToken
              ? { secrets: secretList, ...(verifyToken ? { verifyToken } : {}) }
              : undefined;
        }
        const merged = {
          name: patch.name ?? row.name,
          authenticationType: (patch.authenticationType ?? row.authenticationType) as AuthType,
          authConfig:
            patch.authConfig === undefined
              ? (row.authConfig as Record<string, unknown> | null)
              : patch.authConfig,
          allowedSources:
            patch.allowedSources === undefined
              ? (row.allowedSources as string[] | null)
              : patch.allowedSources,
          payloadValidationSchema:
            patch.payloadValidationSchema === undefined
              ? (row.payloadValidationSchema as Record<string, unknown> | null)
              : patch.payloadValidationSchema,
          transformationConfig:
            patch.transformationConfig === undefined
              ? (row.transformationConfig as unknown[] | null)
              : patch.transformationConfig,
          responseConfig:
            patch.responseConfig === undefined
              ? (row.responseConfig as ResponseConfig | null)
              : patch.responseConfig,
          options: patch.options === undefined ? (row.options as EndpointOptions | null) : patch.options,
        };
        checkSettings(merged, secrets);
        const [updated] = await tx
          .update(webhookEndpoints)
          .set({
            name: patch.name,
            description: patch.description,
            authenticationType: patch.authenticationType,
            authConfig: patch.authConfig,
            secretKey:
              patch.secretKey === undefined && patch.verifyToken === undefined
                ? undefined
                : secrets
                  ? sealFor(sealer, ENDPOINT_SECRET_COLUMN, id, secrets)
                  : null,
            allowedMethods: patch.allowedMethods,
            allowedSources: patch.allowedSources,
            payloadValidationSchema: patch.payloadValidationSchema,
            transformationConfig: patch.transformationConfig,
            responseConfig: patch.responseConfig,
            options: patch.options,
            rateLimit: patch.rateLimit,
            isActive: patch.isActive,
            updatedAt: sql`now()`,
          })
          .where(eq(webhookEndpoints.id, id))
          .returning();
        await audit(tx, context, {
          action: 'webhook_endpoint.update',
          resourceType: 'webhook_endpoint',
          resourceId: id,
          details: { fields: Object.keys(patch) },
        });
        return { view: toView(updated, secrets), row: updated };
      });
      changed(tenantId, view.row);
      return view.view;
    },

    /** A new secret, the current one still accepted for `overlapSeconds`. */
    async rotateSecret(
      context: RequestContext,
      tenantId: string,
      id: string,
      input: { secretKey?: string; overlapSeconds?: number },
    ): Promise<EndpointView> {
      const result = await db.withTenant(tenantId, async (tx) => {
        const row = await load(tx, id);
        const type = row.authenticationType as AuthType;
        const next = input.secretKey ?? (type === 'standard-webhooks' ? generateWebhookSecret() : undefined);
        if (!next)
          throw invalid('/secretKey', `is required to rotate a ${type} secret (it comes from the provider)`);
        const current = secretsOf(row);
        const secrets: EndpointSecrets = {
          ...current,
          secrets: rotate(current?.secrets ?? [], next, input.overlapSeconds ?? 86_400),
        };
        checkSettings(
          {
            name: row.name,
            authenticationType: type,
            authConfig: row.authConfig as Record<string, unknown> | null,
            options: row.options as EndpointOptions | null,
          },
          secrets,
        );
        const [updated] = await tx
          .update(webhookEndpoints)
          .set({ secretKey: sealFor(sealer, ENDPOINT_SECRET_COLUMN, id, secrets), updatedAt: sql`now()` })
          .where(eq(webhookEndpoints.id, id))
          .returning();
        await audit(tx, context, {
          action: 'webhook_endpoint.rotate_secret',
          resourceType: 'webhook_endpoint',
          resourceId: id,
          details: { overlapSeconds: input.overlapSeconds ?? 86_400 },
        });
        const view = toView(updated, secrets);
        return { row: updated, view: input.secretKey ? view : { ...view, generatedSecret: next } };
      });
      changed(tenantId, result.row);
      return result.view;
    },

    async remove(context: RequestContext, tenantId: string, id: string): Promise<void> {
      const row = await db.withTenant(tenantId, async (tx) => {
        const found = await load(tx, id);
        await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
        await audit(tx, context, {
          action: 'webhook_endpoint.delete',
          resourceType: 'webhook_endpoint',
          resourceId: id,
        });
        return found;
      });
      changed(tenantId, row);
    },

    /** Rejected requests, aggregated per minute and reason, newest first. */
    async rejections(tenantId: string, id: string, since?: Date) {
      return db.withTenant(tenantId, async (tx) => {
        await load(tx, id);
        const rows = await tx
          .select()
          .from(webhookRejections)
          .where(
            and(
              eq(webhookRejections.endpointId, id),
              since ? gte(webhookRejections.windowStart, since) : undefined,
            ),
          )
          .orderBy(desc(webhookRejections.windowStart))
          .limit(500);
        return rows.map((row) => ({
          windowStart: row.windowStart.toISOString(),
          status: row.status,
          reason: row.reason,
          count: row.count,
          sample: row.sample,
        }));
      });
    },
  };
}

export type EndpointAdmin = ReturnType<typeof createEndpointAdmin>;
